/**
 * Whether a file is provably a snapshot archive of a given name, read as little as tells (the
 * archive face's findEntry, by the entry rule every reader follows). Used where a file name alone
 * is not enough to act on: `delete` must never take RKE's `pki.bundle.tar.gz` for the archive of
 * a snapshot called `pki.bundle` (#19 item 3).
 */
import { detectArchiveFormat } from "../archive/format.ts";
import { openSnapshotArchive } from "./archive.ts";

export async function isSnapshotArchiveOf(path: string, name: string, opts: { signal?: AbortSignal } = {}): Promise<boolean> {
  try {
    const format = await detectArchiveFormat(path);
    return format !== undefined && (await (await openSnapshotArchive(path, format)).findEntry("snapshot", name, opts)) !== undefined;
  } catch {
    opts.signal?.throwIfAborted();
    return false; // unreadable: nothing proves it is one
  }
}
