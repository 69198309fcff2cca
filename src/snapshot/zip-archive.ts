/**
 * The zip rows of the archive face (archive.ts): the snapshot entry first, then the state entry,
 * absolute names as RKE's readers look them up (layout.ts); read by offset through the central
 * directory (archive/zip-reader.ts).
 */
import { readZipEntriesByRange } from "../archive/zip-directory.ts";
import { ZipReader } from "../archive/zip-reader.ts";
import { extractEntryToFile } from "../archive/zip-reader-extract.ts";
import { pumpEntry } from "../archive/zip-reader-inflate.ts";
import { ZipWriter } from "../archive/zip-writer.ts";
import { openRegular } from "../fs/regular.ts";
import type { ArchiveFormat } from "../archive/format.ts";
import type { ArchiveRow } from "./archive.ts";
import { entryChoice } from "./entries.ts";
import { entryNames } from "./layout.ts";

export const zipArchive: ArchiveRow = {
  snapshotInPlace: false,

  async create(sink, format, input, opts) {
    const names = entryNames(input.name, format);
    const zip = zipArchive.writer(sink, format, opts);
    await zip.add(names.snapshot, 0o600, input.snapshot, input.snapshotSize);
    opts.signal?.throwIfAborted();
    if (input.state) await zip.add(names.state, input.state.mode, input.state.data, input.state.data.byteLength);
    return zip.finish();
  },

  writer(sink, _format, opts) {
    const zip = new ZipWriter(sink, { deflater: opts.deflater });
    return {
      add: async (name, mode, body) => void (await zip.add(name, mode, body)), // sizes go after the data
      finish: () => zip.finish(),
    };
  },

  entryOf: (_path, format, kind, name) => entryChoice(kind, name, format as ArchiveFormat),

  async entries(path, _format, each, opts) {
    const zip = await ZipReader.open(path);
    try {
      for (const entry of zip.entries) {
        await each(
          { name: entry.name, mode: entry.mode, size: entry.uncompressedSize },
          pulled((push) => pumpEntry(zip, entry, push, { signal: opts.signal })),
        );
      }
    } finally {
      zip.close();
    }
  },

  /** The central directory, all of them at once, by range (zip-directory.ts): one read for a snapshot's. */
  async leadingEntryNames(bytes) {
    return (await readZipEntriesByRange((start, end) => bytes.range(start, end), bytes.size, { label: bytes.label })).map((e) => e.name);
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

/**
 * A pushed stream (pumpEntry's) as one a writer pulls: each chunk handed on is a copy (the pusher
 * reuses its own), and the pusher waits until the next is asked for. Nothing is read until the first is.
 */
async function* pulled(pump: (push: (c: Uint8Array) => Promise<void>) => Promise<unknown>): AsyncGenerator<Uint8Array> {
  type Item = { chunk: Uint8Array; taken: () => void; stop: (e: Error) => void } | { end: true } | { error: unknown };
  let next = Promise.withResolvers<Item>();
  let pending: Item | undefined;
  const run = pump((c) => new Promise<void>((taken, stop) => next.resolve({ chunk: Buffer.from(c), taken, stop }))).then(
    () => next.resolve({ end: true }),
    (error: unknown) => next.resolve({ error }),
  );
  try {
    for (;;) {
      pending = await next.promise;
      next = Promise.withResolvers<Item>();
      if ("end" in pending) return;
      if ("error" in pending) throw pending.error;
      yield pending.chunk;
      pending.taken();
    }
  } finally {
    if (pending && "stop" in pending) pending.stop(new Error("the reader stopped")); // left early: end the pump
    await run;
  }
}

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
