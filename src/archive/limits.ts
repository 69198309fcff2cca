/**
 * What every archive reader accepts, whatever the format (zip, tar.gz, tar.zst, from a file or
 * from S3): a snapshot archive holds the snapshot and at most the state file. Anything beyond is
 * refused before its bytes are read or written, so that a small hostile archive cannot cost
 * gigabytes of disk, memory or CPU (docs/archive-formats.md#what-readers-accept).
 */
import { statfsSync } from "node:fs";
import { dirname } from "node:path";
import { ErrorCode, RkeToolsError } from "../errors.ts";

/** etcd's storage quota tops out at 8 GiB; anything far beyond is not a snapshot. */
export const MAX_SNAPSHOT_BYTES = 64 * 2 ** 30;
/** RKE state files are a few hundred KiB. */
export const MAX_STATE_BYTES = 64 * 2 ** 20;
/** The snapshot and the state file. */
export const MAX_FILE_ENTRIES = 2;
/**
 * Entries of any kind: folder entries are tolerated (`zip -r` / `tar -c` of `backup` and
 * `etc/kubernetes` adds three), a directory of thousands is not (200k zip entries cost ~300 MB).
 */
export const MAX_ENTRIES = 8;

/** `backup/x`, `/backup/x` and `./backup/x` name the same entry (GNU tar strips the slash). */
export const normalEntryName = (s: string) => s.replace(/^(\.\/|\/)+/, "");

/** `backup/x`, `/backup/x` and `./backup/x` name the same entry (GNU tar strips the slash). */
export const sameEntryName = (a: string, b: string) => normalEntryName(a) === normalEntryName(b);

/**
 * Counts the entries of one archive as a reader meets them; throws (E_ARCHIVE) at the first one
 * too many, and at a second file of the same name (`/backup/x` and `backup/x` are one name):
 * unzip and tar extract the last copy, our look-up took the first, so which bytes are "the"
 * snapshot would depend on the tool.
 */
export class EntryCensus {
  private entries = 0;
  private readonly files = new Set<string>();

  constructor(private readonly label: string) {}

  add(name: string, isFile: boolean): void {
    if (++this.entries > MAX_ENTRIES) throw tooMany(this.label, `more than ${MAX_ENTRIES} entries`);
    if (!isFile) return;
    const key = normalEntryName(name);
    if (this.files.has(key)) throw refuse(this.label, `it holds two entries named ${key}`);
    this.files.add(key);
    if (this.files.size > MAX_FILE_ENTRIES) throw tooMany(this.label, `more than ${MAX_FILE_ENTRIES} files`);
  }
}

/** Refuses an archive whose directory already says it holds too many entries (zip). */
export function checkEntryCount(label: string, count: number): void {
  if (count > MAX_ENTRIES) throw tooMany(label, `${count} entries`);
}

function tooMany(label: string, what: string): RkeToolsError {
  return refuse(label, `it holds ${what}; a snapshot archive holds the snapshot and at most the state file`);
}

function refuse(label: string, why: string): RkeToolsError {
  return new RkeToolsError(ErrorCode.Archive, `Cannot read archive ${label}: ${why}`);
}

/** Bytes an unprivileged writer may still use in `dir`'s file system; undefined where statfs fails. */
export function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined; // no statfs here: the write itself reports ENOSPC
  }
}

/** Refuses to start writing `bytes` into `dest`'s folder when its file system has less free. */
export function checkFreeSpace(dest: string, bytes: number): void {
  const free = freeBytes(dirname(dest));
  if (free !== undefined && bytes > free) {
    throw new RkeToolsError(ErrorCode.Io, `Cannot write ${dest}: it needs ${bytes} bytes and only ${free} are free`);
  }
}
