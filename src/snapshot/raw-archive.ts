/**
 * A raw snapshot (what serve and download leave in /backup) read through the archive face
 * (archive.ts): one entry, itself; no entries to list or extract. Also the sequential read of an
 * archive file that the tar rows share.
 */
import { entryNotFound } from "../archive/zip-reader-extract.ts";
import { openRegular } from "../fs/regular.ts";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type { ArchiveReader, WalkOptions } from "./archive.ts";
import type { EntryChoice } from "./entries.ts";

export const rawReader: ArchiveReader = {
  snapshotInPlace: true,

  /** Its one entry, named by the file's base name: the snapshot. */
  entryOf: (path, _format, kind) => (kind === "snapshot" ? whole(basename(path)) : undefined),

  async entries(path, _format, each, opts) {
    const { size, mode } = await stat(path);
    await readArchiveFile(path, opts, (source) => each({ name: basename(path), mode: mode & 0o7777, size }, source));
  },

  leadingEntryNames: async () => [],

  async walk(path, _format, visit, opts) {
    return readArchiveFile(path, opts, async (source) => {
      const sink = visit(basename(path), -1);
      let size = 0;
      for await (const c of source) {
        opts.signal?.throwIfAborted();
        size += c.byteLength;
        if (sink && sink !== "stop") await sink.write(c);
      }
      return `${size} bytes read`;
    });
  },

  extract: async (path, _format, choice) => {
    throw entryNotFound(choice.wanted, path);
  },
};

/** The choice of the one entry a raw snapshot holds: itself. */
function whole(entry: string): EntryChoice {
  const is = (e: string) => e === entry;
  return { wanted: entry, choose: (names) => (names.some(is) ? { name: entry, exact: true } : undefined), mayAnswer: is, isWanted: is };
}

/** The file's bytes in order, each seen by `onArchiveBytes` first; the descriptor closed after `read`. */
export async function readArchiveFile<T>(path: string, opts: WalkOptions, read: (source: AsyncIterable<Uint8Array>) => Promise<T>): Promise<T> {
  const fh = await openRegular(path);
  try {
    return await read(tapped(fh.createReadStream({ highWaterMark: 256 * 1024, autoClose: false }), opts.onArchiveBytes));
  } finally {
    await fh.close();
  }
}

async function* tapped(source: AsyncIterable<Uint8Array>, tap?: (c: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  for await (const c of source) {
    tap?.(c);
    yield c;
  }
}
