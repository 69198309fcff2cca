/**
 * Where snapshots are kept — the backup folder, an S3 bucket — behind one interface, so that
 * `list`, `verify` and `delete` are one loop over the stores a command was given, and a third
 * store is one more file here (restic's `Backend`, k3s's snapshot stores). A store is built from
 * values (a folder, an S3Config or client), never from flags. Each store keeps the original's
 * rules and messages for its side: what is listed, what a delete removes and logs.
 */
import type { ArchiveFormat } from "../../archive/format.ts";
import type { Logger } from "../../log/logger.ts";
import type { ProgressPolicy } from "../../log/progress.ts";
import type { StoredFormat } from "../archive.ts";

/** One snapshot file or object as `list` reports it. */
export interface SnapshotRecord {
  location: "local" | "s3";
  name: string;
  format: StoredFormat;
  /** File path, or S3 key. */
  path: string;
  size: number;
  time: Date;
  /** Whether the archive carries the state file; undefined when it could not be told. */
  stateFile: boolean | undefined;
  /** The archive's SHA-256 as stored with it (S3 metadata); undefined when none is. */
  sha256?: string;
}

/** Oldest first, then by name: the order `list` prints. */
export function sortRecords(records: SnapshotRecord[]): SnapshotRecord[] {
  return records.sort((a, b) => a.time.getTime() - b.time.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

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

export interface PutOptions extends StoreOptions {
  sha256?: string;
  retries?: number;
  progress?: ProgressPolicy;
}

export interface SnapshotStore {
  readonly location: SnapshotRecord["location"];
  /** What a copy's `where` is, as log lines name it: a file `path`, an object `key`. */
  readonly whereField: "path" | "key";
  /** Whether `fetch` hands out the kept file itself (read in place, worth progress lines) rather than a temporary copy. */
  readonly readsInPlace: boolean;
  /** Every snapshot kept here, one record per file or object. */
  list(opts?: StoreOptions): Promise<SnapshotRecord[]>;
  /** The copies of `name` kept here: its archives (each format), then the raw snapshot. */
  stat(name: string, opts?: StoreOptions): Promise<StoredCopy[]>;
  /** What `stat` looked for, for the message when it found nothing. */
  absent(name: string): string;
  fetch(copy: StoredCopy, opts?: StoreOptions): Promise<FetchedCopy>;
  /** Removes `name` as the original's delete does on this side; returns what it removed. */
  remove(name: string, opts?: StoreOptions & { cleanup?: boolean }): Promise<string[]>;
  /** Keeps the archive file `file` of `name` here, under the layout's name for `format`. */
  put(file: string, name: string, format: ArchiveFormat, opts?: PutOptions): Promise<void>;
}
