/**
 * A snapshot archive, whatever its format: the one face through which the tools create, read and
 * extract one. Which format does what is decided here, in one table (FORMATS): a new archive
 * format is its reader and writer in src/archive/ and a row here (a file beside this one); no
 * tool tells formats apart. Entry names come from the naming table (layout.ts), which entry answers for
 * a name from the one rule every reader follows (entries.ts).
 */
import type { Deflater } from "../archive/deflate.ts";
import { detectArchiveFormat, magicOf, readHead, type ArchiveFormat } from "../archive/format.ts";
import type { ExtractOptions } from "../archive/zip-reader-extract.ts";
import { RkeToolsError } from "../errors.ts";
import type { FileHandle } from "node:fs/promises";
import { openRegular } from "../fs/regular.ts";
import type { ByteSink } from "../fs/sink.ts";
import { chooseEntry, entryChoice, type ChosenEntry, type EntryChoice, type EntryKind } from "./entries.ts";
import { entryNames, parseArchiveFileName } from "./layout.ts";
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

/** An entry as a reader meets it. */
export interface ArchiveEntry {
  name: string;
  /** Its permission bits. */
  mode: number;
  size: number;
}

/** Per entry, in the archive's order: its bytes as they stream by (what is not read is skipped). */
export type EntryStream = (entry: ArchiveEntry, body: AsyncIterable<Uint8Array>) => Promise<void>;

/** Writes entries into a new archive, in the order they are added. */
export interface EntryWriter {
  /** `size`: the exact byte count, or asked after the first chunk (tar writes it before the data). */
  add(name: string, mode: number, body: AsyncIterable<Uint8Array> | Uint8Array, size: number | (() => number | undefined)): Promise<void>;
  /** Ends the archive; returns its size in bytes. */
  finish(): Promise<number>;
}

/** What copyEntries copied: every entry name in order, the entry taken for each kind, those left out. */
export interface CopiedEntries {
  names: string[];
  taken: Partial<Record<EntryKind, string>>;
  left: string[];
  bytes: number;
}

/**
 * An archive's bytes wherever they are kept (a file, an S3 object): by range, or in order from
 * the start. Enough to tell what an archive holds without having it all (findEntryIn).
 */
export interface ArchiveBytes {
  /** Names the archive in messages: its path or key. */
  readonly label: string;
  readonly size: number;
  /** Bytes [start, end). */
  range(start: number, end: number): Promise<Uint8Array>;
  /** The bytes in order from the start; leaving the loop early ends the transfer. */
  stream(): AsyncIterable<Uint8Array>;
}

/** How one stored format is read, the archive at `path`. */
export interface ArchiveReader {
  /** True when the snapshot is the file itself (a raw snapshot): read by position there, never copied out. */
  readonly snapshotInPlace: boolean;
  /** How the entry of `kind` for `name` is found in this format (entries.ts); undefined when it has no place for one. */
  entryOf(path: string, format: StoredFormat, kind: EntryKind, name: string): EntryChoice | undefined;
  /** Every entry with its bytes to `each`, in order, the archive read to its end so that its checks run. */
  entries(path: string, format: StoredFormat, each: EntryStream, opts: { signal?: AbortSignal }): Promise<void>;
  /** The entry names that tell what the archive holds, read as little as tells. Throws when unreadable. */
  leadingEntryNames(bytes: ArchiveBytes, format: StoredFormat, opts: { signal?: AbortSignal }): Promise<string[]>;
  /** Every entry to `visit`, the archive read to its end so that its own checks run; returns what they covered. */
  walk(path: string, format: StoredFormat, visit: EntryVisitor, opts: WalkOptions): Promise<string>;
  /** The chosen entry to `dest`, which appears only once the whole archive checked out. */
  extract(path: string, format: StoredFormat, choice: EntryChoice, dest: string, opts: ExtractArchiveOptions): Promise<{ entry: string; bytes: number }>;
}

/** One archive format: its reader, its writer of the whole archive into `sink` (returns its size in bytes), and of entries one by one. */
export interface ArchiveRow extends ArchiveReader {
  create(sink: ByteSink, format: ArchiveFormat, input: SnapshotArchiveInput, opts: CreateArchiveOptions): Promise<number>;
  writer(sink: ByteSink, format: ArchiveFormat, opts: CreateArchiveOptions): EntryWriter;
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
  /** Every entry with its bytes as a stream to `each`, in the archive's order, read to its end. */
  entries(each: EntryStream, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Extracts the snapshot (`kind` "snapshot") or state file of `name` to `dest`. */
  extract(kind: EntryKind, name: string, dest: string, opts?: ExtractArchiveOptions): Promise<ExtractedEntry>;
  /** How the entry of `kind` for `name` is found here (entries.ts): every stored format holds a snapshot; a raw one has no place for a state file. */
  entryOf(kind: "snapshot", name: string): EntryChoice;
  entryOf(kind: EntryKind, name: string): EntryChoice | undefined;
  /** True when the snapshot is the file itself (a raw snapshot): read by position there, never copied out. */
  readonly snapshotInPlace: boolean;
  /**
   * The entries `take` names a kind for, in this archive's order (the first of each kind), written
   * into `sink` as a new archive in `format` under the layout's names for `name`, modes kept; the
   * rest left out. The caller commits the sink.
   */
  copyEntries(sink: ByteSink, format: ArchiveFormat, name: string, take: (entry: string) => EntryKind | undefined, opts?: CreateArchiveOptions): Promise<CopiedEntries>;
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
    async findEntry(kind, name, opts = {}) {
      const fh = await openRegular(path);
      try {
        return await findEntryIn(fileBytes(path, fh, (await fh.stat()).size), f, kind, name, opts);
      } finally {
        await fh.close();
      }
    },
    walk: (visit, opts = {}) => reader.walk(path, f, visit, opts),
    entries: (each, opts = {}) => reader.entries(path, f, each, opts),
    async extract(kind, name, dest, opts = {}) {
      const r = await reader.extract(path, f, entryChoice(kind, name, names), dest, opts);
      return { format: names, ...r };
    },
    entryOf: ((kind: EntryKind, name: string) => reader.entryOf(path, f, kind, name)) as SnapshotArchive["entryOf"],
    snapshotInPlace: reader.snapshotInPlace,
    async copyEntries(sink, format, name, take, opts = {}) {
      const out = FORMATS[format].writer(sink, format, opts);
      const layout = entryNames(name, format);
      const copied: CopiedEntries = { names: [], taken: {}, left: [], bytes: 0 };
      await reader.entries(
        path,
        f,
        async (entry, body) => {
          copied.names.push(entry.name);
          const kind = take(entry.name);
          if (!kind || copied.taken[kind] !== undefined) {
            copied.left.push(entry.name);
            return;
          }
          await out.add(layout[kind], entry.mode & 0o7777, body, entry.size);
          copied.taken[kind] = entry.name;
        },
        opts,
      );
      copied.bytes = await out.finish();
      return copied;
    },
  };
}

/**
 * The entry of `kind` for `name` in an archive reached by its bytes (an S3 object), read as
 * little as tells, as SnapshotArchive.findEntry: a zip's central directory by range, a tar's
 * headers from its start up to the first that may be the snapshot. Throws when unreadable.
 */
export async function findEntryIn(bytes: ArchiveBytes, format: StoredFormat, kind: EntryKind, name: string, opts: { signal?: AbortSignal } = {}): Promise<ChosenEntry | undefined> {
  return chooseEntry(await READERS[format].leadingEntryNames(bytes, format, opts), kind, name, format === "raw" ? "zip" : format);
}

/** A local file's bytes through its open descriptor (left open: the caller closes it). */
function fileBytes(path: string, fh: FileHandle, size: number): ArchiveBytes {
  return {
    label: path,
    size,
    async range(start, end) {
      const buf = new Uint8Array(end - start);
      const { bytesRead } = await fh.read(buf, 0, buf.byteLength, start);
      return buf.subarray(0, bytesRead);
    },
    stream: () => fh.createReadStream({ start: 0, highWaterMark: 64 * 1024, autoClose: false }),
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

/** The first bytes formatOfHead needs: bbolt's magic ends at byte 20. */
export const HEAD_BYTES = 20;

/** The first HEAD_BYTES bytes of a stored snapshot (fewer when it is shorter). */
export const readStoredHead = (path: string): Promise<Uint8Array> => readHead(path, HEAD_BYTES);

/** How a stored snapshot is kept, by its first bytes: an archive format, a raw etcd snapshot, or neither. */
export function formatOfHead(head: Uint8Array): StoredFormat | undefined {
  return describeHead(head)?.format;
}

/** formatOfHead, and what in the bytes told it (`magic 1f8b`, `bbolt meta magic`): verify reports it. */
export function describeHead(head: Uint8Array): { format: StoredFormat; magic: string } | undefined {
  const m = magicOf(head);
  if (m) return { format: m.format, magic: `magic ${Buffer.from(m.magic).toString("hex")}` };
  return BOLT_MAGIC.every((b, i) => head[16 + i] === b) ? { format: "raw", magic: "bbolt meta magic" } : undefined;
}
