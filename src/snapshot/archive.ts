/**
 * A snapshot archive, whatever its format: the one face through which the tools create, read and
 * extract one. Which format does what is decided here, in one table (FORMATS): a new archive
 * format is its reader and writer in src/archive/ and a row here (a file beside this one); no
 * tool tells formats apart. Entry names come from the naming table (layout.ts), which entry answers for
 * a name from the one rule every reader follows (entries.ts).
 */
import type { Deflater } from "../archive/deflate.ts";
import { detectArchiveFormat, formatFromMagic, type ArchiveFormat } from "../archive/format.ts";
import type { ExtractOptions } from "../archive/zip-reader-extract.ts";
import { RkeToolsError } from "../errors.ts";
import type { ByteSink } from "../fs/sink.ts";
import { chooseEntry, entryChoice, type ChosenEntry, type EntryChoice, type EntryKind } from "./entries.ts";
import { parseArchiveFileName } from "./layout.ts";
import { rawReader } from "./raw-archive.ts";
import { tarArchive } from "./tar-archive.ts";
import { zipArchive } from "./zip-archive.ts";

/** How a snapshot may be kept: in one of the archive formats, or raw (what serve and download leave in /backup). */
export type StoredFormat = ArchiveFormat | "raw";

/** Thrown for failures on our side of the pipe (disk, folder, state file), as opposed to etcd's. */
export class ArchiveError extends RkeToolsError {
  override readonly name = "ArchiveError";
}

export interface SnapshotArchiveInput {
  name: string;
  /** etcd's bytes, verified by the producer (which throws at the end on a bad trailer). */
  snapshot: AsyncIterable<Uint8Array>;
  /** The snapshot's byte count (trailer included), asked after its first chunk: tar writes it before the data. */
  snapshotSize: () => number | undefined;
  state?: { data: Uint8Array; mode: number };
}

export interface CreateArchiveOptions {
  signal?: AbortSignal;
  /** zip's deflate engine (archive/deflate.ts). */
  deflater?: Deflater;
  /** tar's compression level (archive/tar-compression.ts). */
  level?: number;
}

/** Per entry: a sink for its bytes, undefined to read it through unseen, or "stop" to end the walk. */
export type EntryVisitor = (name: string, size: number) => ByteSink | undefined | "stop";

export interface WalkOptions {
  signal?: AbortSignal;
  /** Sees every raw byte of the archive file, in order (for its SHA-256). */
  onArchiveBytes?: (chunk: Uint8Array) => void;
}

/** As the zip reader's: signal, log, mode, maxBytes, and the progress hooks. */
export type ExtractArchiveOptions = ExtractOptions;

export interface ExtractedEntry {
  format: ArchiveFormat;
  /** The entry's name in the archive. */
  entry: string;
  bytes: number;
}

/** How one stored format is read, the archive at `path`. */
export interface ArchiveReader {
  /** The entry names that tell what the archive holds, read as little as tells. Throws when unreadable. */
  leadingEntryNames(path: string, format: StoredFormat, opts: { signal?: AbortSignal }): Promise<string[]>;
  /** Every entry to `visit`, the archive read to its end so that its own checks run; returns what they covered. */
  walk(path: string, format: StoredFormat, visit: EntryVisitor, opts: WalkOptions): Promise<string>;
  /** The chosen entry to `dest`, which appears only once the whole archive checked out. */
  extract(path: string, format: StoredFormat, choice: EntryChoice, dest: string, opts: ExtractArchiveOptions): Promise<{ entry: string; bytes: number }>;
}

/** One archive format: its reader, and its writer of the whole archive into `sink` (returns its size in bytes). */
export interface ArchiveRow extends ArchiveReader {
  create(sink: ByteSink, format: ArchiveFormat, input: SnapshotArchiveInput, opts: CreateArchiveOptions): Promise<number>;
}

const FORMATS: Record<ArchiveFormat, ArchiveRow> = { zip: zipArchive, "tar.gz": tarArchive("gzip"), "tar.zst": tarArchive("zstd") };
const READERS: Record<StoredFormat, ArchiveReader> = { ...FORMATS, raw: rawReader };

/** Writes the snapshot archive of `input` in `format` into `sink`; returns its size. The caller commits the sink. */
export function createSnapshotArchive(sink: ByteSink, format: ArchiveFormat, input: SnapshotArchiveInput, opts: CreateArchiveOptions = {}): Promise<number> {
  return FORMATS[format].create(sink, format, input, opts);
}

export interface SnapshotArchive {
  readonly path: string;
  readonly format: StoredFormat;
  /**
   * The entry of `kind` for `name` (entries.ts) among those that tell what the archive holds, read
   * as little as tells: a zip's central directory, a tar's headers up to the first that may be the
   * snapshot (ours hold the state file first); none in a raw snapshot. Throws when unreadable.
   */
  findEntry(kind: EntryKind, name: string, opts?: { signal?: AbortSignal }): Promise<ChosenEntry | undefined>;
  walk(visit: EntryVisitor, opts?: WalkOptions): Promise<string>;
  /** Extracts the snapshot (`kind` "snapshot") or state file of `name` to `dest`. */
  extract(kind: EntryKind, name: string, dest: string, opts?: ExtractArchiveOptions): Promise<ExtractedEntry>;
}

/**
 * The archive at `path`, in `format` when the caller has told it already (by its first bytes,
 * formatOfHead), else by its magic bytes: a reader never trusts the name alone. Bytes that show
 * no format are given to the zip reader, which says what is wrong with them.
 */
export async function openSnapshotArchive(path: string, format?: StoredFormat): Promise<SnapshotArchive> {
  const f = format ?? (await detectArchiveFormat(path)) ?? "zip";
  const reader = READERS[f];
  const names: ArchiveFormat = f === "raw" ? "zip" : f; // a raw snapshot holds no entries: the zip's names in messages
  return {
    path,
    format: f,
    findEntry: async (kind, name, opts = {}) => chooseEntry(await reader.leadingEntryNames(path, f, opts), kind, name, names),
    walk: (visit, opts = {}) => reader.walk(path, f, visit, opts),
    async extract(kind, name, dest, opts = {}) {
      const r = await reader.extract(path, f, entryChoice(kind, name, names), dest, opts);
      return { format: names, ...r };
    },
  };
}

/**
 * The snapshot a stored file holds, by its name and its format (formatOfHead): a raw snapshot is
 * named by its file name, an archive by its name without the format's suffix (`x.zip` → "x"),
 * whole when it has none.
 */
export function snapshotNameOf(fileName: string, format: StoredFormat): string {
  return format === "raw" ? fileName : (parseArchiveFileName(fileName)?.name ?? fileName);
}

/** bbolt's meta page magic, 0xED0CDAED little-endian after the 16-byte page header. */
const BOLT_MAGIC = [0xed, 0xda, 0x0c, 0xed];

/** How a stored snapshot is kept, by its first bytes: an archive format, a raw etcd snapshot, or neither. */
export function formatOfHead(head: Uint8Array): StoredFormat | undefined {
  const f = formatFromMagic(head);
  if (f) return f;
  return BOLT_MAGIC.every((b, i) => head[16 + i] === b) ? "raw" : undefined;
}
