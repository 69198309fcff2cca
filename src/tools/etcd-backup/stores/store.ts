/**
 * Where snapshots are kept — the backup folder, an S3 bucket — behind one interface, so that
 * `list`, `verify` and `delete` are one loop over the stores a command was given, and a third
 * store is one more file here (restic's `Backend`, k3s's snapshot stores). Each store keeps the
 * original's rules and messages for its side: what is listed, what a delete removes and logs.
 */
import type { ArchiveFormat } from "../../../archive/format.ts";
import type { Logger } from "../../../log/logger.ts";
import type { ProgressPolicy } from "../../../log/progress.ts";
import type { SnapshotRecord } from "../inspect/list.ts";

/** One file or object of a snapshot (an archive in some format, or the raw snapshot). */
export interface StoredCopy {
  /** A file path, or an S3 key. */
  where: string;
  /** How reports name it: the path, or `s3://bucket/key`. */
  label: string;
  size: number;
  /** The archive's SHA-256 as stored beside it (S3 object metadata), and where it came from. */
  stored?: { sha256: string; from: string };
}

/** A copy readable as a local file, until `release()`. */
export interface FetchedCopy {
  path: string;
  release(): Promise<void>;
}

export interface StoreOptions {
  signal?: AbortSignal;
  log?: Logger;
}

export interface SnapshotStore {
  readonly location: SnapshotRecord["location"];
  /** Every snapshot kept here, one record per file or object. */
  list(opts?: StoreOptions): Promise<SnapshotRecord[]>;
  /** The copies of `name` kept here: its archives (each format), then the raw snapshot. */
  stat(name: string, opts?: StoreOptions): Promise<StoredCopy[]>;
  /** What `stat` looked for, for the message when it found nothing. */
  absent(name: string): string;
  fetch(copy: StoredCopy, opts?: StoreOptions): Promise<FetchedCopy>;
  /** Removes `name` as the original's delete does on this side; returns what it removed. */
  remove(name: string, opts?: StoreOptions & { cleanup?: boolean }): Promise<string[]>;
  /** Stores the archive file of `name` (S3 only: the backup folder is where archives are written). */
  put?(file: string, name: string, format: ArchiveFormat, opts: StoreOptions & { sha256?: string; retries?: number; progress?: ProgressPolicy }): Promise<void>;
}
