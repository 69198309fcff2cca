/**
 * The backup folder's `list`: its snapshots, one record each:
 * name, format, size, time, whether a state file is inside, and the SHA-256 stored with it.
 * Listing reads only what it must: the magic bytes, and for tar the first header (our tar
 * archives put the state file first, snapshot/tar-archive.ts, read through snapshot/archive.ts); a zip's central directory.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { readHead } from "../../archive/format.ts";
import { cannot, ErrorCode } from "../../errors.ts";
import { isTempName } from "../../fs/atomic.ts";
import { formatOfHead, openSnapshotArchive, snapshotNameOf, type StoredFormat } from "../archive.ts";
import { NOT_SNAPSHOTS, parseArchiveFileName } from "../layout.ts";
import { sortRecords, type SnapshotRecord } from "./store.ts";

export async function listLocal(backupDir: string, opts: { signal?: AbortSignal } = {}): Promise<SnapshotRecord[]> {
  const records: SnapshotRecord[] = [];
  const entries = await fsp.readdir(backupDir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    throw cannot(e.code === "ENOENT" ? ErrorCode.NotFound : ErrorCode.Io, "list snapshots", e, `the backup folder ${backupDir} ${folderProblem(e.code)}`);
  });
  for (const e of entries) {
    opts.signal?.throwIfAborted();
    if (!e.isFile() || isTempName(e.name) || e.name.endsWith(".part") || NOT_SNAPSHOTS.has(e.name)) continue;
    const path = join(backupDir, e.name);
    const st = await fsp.stat(path).catch(() => undefined);
    if (!st) continue; // removed meanwhile
    const head = await readHead(path, 20).catch(() => new Uint8Array(0));
    const format = formatOfHead(head) ?? parseArchiveFileName(e.name)?.format;
    if (!format) continue; // neither an archive nor a raw snapshot
    const name = snapshotNameOf(e.name, format);
    const stateFile = await carriesState(path, name, format, opts.signal);
    records.push({ location: "local", name, format, path, size: st.size, time: st.mtime, stateFile });
  }
  return sortRecords(records);
}

/** What is wrong with the folder, in the operator's words (not Node's "scandir"). */
function folderProblem(code: string | undefined): string {
  if (code === "ENOENT") return "does not exist";
  if (code === "ENOTDIR") return "is not a directory";
  if (code === "EACCES" || code === "EPERM") return `is not readable (${code})`;
  return `cannot be read (${code ?? "unknown error"})`;
}

/**
 * Reads only what tells: a zip's central directory, or a tar's headers up to the snapshot entry
 * (ours hold the state file first; a state file after it, in a tar not made here, shows as absent;
 * verify reads everything); undefined when the archive cannot be read that far.
 */
export async function carriesState(path: string, name: string, format: StoredFormat, signal?: AbortSignal): Promise<boolean | undefined> {
  try {
    return (await (await openSnapshotArchive(path, format)).findEntry("state", name, { signal })) !== undefined;
  } catch {
    return undefined;
  }
}
