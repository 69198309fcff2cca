/**
 * Whether a file is provably a snapshot archive of a given name, read as little as tells: a zip's
 * central directory, or a tar's headers up to the first one that may be the snapshot (ours hold
 * the state file first). The entry rule (entries.ts) decides, as for every reader. Used where a
 * file name alone is not enough to act on: `delete` must never take RKE's `pki.bundle.tar.gz`
 * for the archive of a snapshot called `pki.bundle` (#19 item 3).
 */
import { createReadStream } from "node:fs";
import { detectArchiveFormat, type ArchiveFormat } from "../archive/format.ts";
import { compressionOf } from "../archive/tar-compression.ts";
import { readTar } from "../archive/tar-reader.ts";
import { ZipReader } from "../archive/zip-reader.ts";
import { candidateOf, chooseEntry } from "./entries.ts";

/**
 * The entry names that tell what an archive holds, read as little as tells: all of a zip's (its
 * central directory), a tar's up to the first that may be the snapshot. Throws when unreadable.
 */
export async function leadingEntryNames(path: string, format: ArchiveFormat, opts: { signal?: AbortSignal } = {}): Promise<string[]> {
  if (format === "zip") {
    const zip = await ZipReader.open(path);
    try {
      return zip.entries.map((e) => e.name);
    } finally {
      zip.close();
    }
  }
  const seen: string[] = [];
  await readTar(createReadStream(path, { highWaterMark: 64 * 1024 }), { compression: compressionOf(format), label: path, signal: opts.signal }, async (h) => {
    seen.push(h.name);
    return candidateOf("snapshot", h.name) !== undefined ? "stop" : undefined;
  });
  return seen;
}

export async function isSnapshotArchiveOf(path: string, name: string, opts: { signal?: AbortSignal } = {}): Promise<boolean> {
  try {
    const format = await detectArchiveFormat(path);
    return format !== undefined && chooseEntry(await leadingEntryNames(path, format, opts), "snapshot", name, format) !== undefined;
  } catch {
    opts.signal?.throwIfAborted();
    return false; // unreadable: nothing proves it is one
  }
}
