/**
 * The zip rows of the archive face (archive.ts): the snapshot entry first, then the state entry,
 * absolute names as RKE's readers look them up (layout.ts); read by offset through the central
 * directory (archive/zip-reader.ts).
 */
import { ZipReader } from "../archive/zip-reader.ts";
import { extractEntryToFile } from "../archive/zip-reader-extract.ts";
import { pumpEntry } from "../archive/zip-reader-inflate.ts";
import { ZipWriter } from "../archive/zip-writer.ts";
import { openRegular } from "../fs/regular.ts";
import type { ArchiveRow } from "./archive.ts";
import { entryNames } from "./layout.ts";

export const zipArchive: ArchiveRow = {
  async create(sink, format, input, opts) {
    const names = entryNames(input.name, format);
    const zip = new ZipWriter(sink, { deflater: opts.deflater });
    await zip.add(names.snapshot, 0o600, input.snapshot);
    opts.signal?.throwIfAborted();
    if (input.state) await zip.add(names.state, input.state.mode, input.state.data);
    return zip.finish();
  },

  async leadingEntryNames(path) {
    const zip = await ZipReader.open(path);
    try {
      return zip.entries.map((e) => e.name); // the central directory: all of them at once
    } finally {
      zip.close();
    }
  },

  async walk(path, _format, visit, opts) {
    const zip = await ZipReader.open(path);
    try {
      let n = 0;
      for (const entry of zip.entries) {
        const sink = visit(entry.name, entry.uncompressedSize);
        if (sink === "stop") break;
        await pumpEntry(zip, entry, (c) => sink?.write(c), { signal: opts.signal });
        n++;
      }
      if (opts.onArchiveBytes) await hashWhole(path, opts.onArchiveBytes, opts.signal);
      return `CRC-32 and size of ${n} zip entries, read to the end`;
    } finally {
      zip.close();
    }
  },

  async extract(path, _format, choice, dest, opts) {
    const r = await extractEntryToFile(path, choice, dest, opts);
    return { entry: r.entry.name, bytes: r.bytes };
  },
};

/** A zip is read by offset, not in order: its SHA-256 takes a second, sequential pass. */
async function hashWhole(path: string, tap: (c: Uint8Array) => void, signal?: AbortSignal): Promise<void> {
  const fh = await openRegular(path);
  try {
    for await (const c of fh.createReadStream({ highWaterMark: 1024 * 1024, autoClose: false })) {
      signal?.throwIfAborted();
      tap(c as Uint8Array);
    }
  } finally {
    await fh.close();
  }
}
