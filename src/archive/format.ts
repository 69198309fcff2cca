/**
 * The three archive formats a snapshot can live in, told apart by file name and by magic bytes.
 * `zip` is RKE's format and the default; `tar.gz` and `tar.zst` are for operators who drive the
 * tool themselves (docs/archive-formats.md). A reader never trusts the name alone: the bytes decide.
 */
import { promises as fsp } from "node:fs";
import { ErrorCode, RkeToolsError, isRkeToolsError } from "../errors.ts";
import { openRegular } from "../fs/regular.ts";

export const ARCHIVE_FORMATS = ["zip", "tar.gz", "tar.zst"] as const;
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];
export const DEFAULT_ARCHIVE_FORMAT: ArchiveFormat = "zip";

export function isArchiveFormat(s: string): s is ArchiveFormat {
  return (ARCHIVE_FORMATS as readonly string[]).includes(s);
}

/** Validates a `--archive-format` value. */
export function parseArchiveFormat(value: string, flag = "--archive-format"): ArchiveFormat {
  if (isArchiveFormat(value)) return value;
  throw new RkeToolsError(ErrorCode.InvalidInput, `invalid value ${JSON.stringify(value)} for ${flag}: must be one of ${ARCHIVE_FORMATS.join(", ")}`);
}

export const contentTypeOf = (format: ArchiveFormat) => (format === "zip" ? "application/zip" : format === "tar.gz" ? "application/gzip" : "application/zstd");

/** The format a file name's suffix names (`x.tar.gz` → "tar.gz"); a bare suffix (`.zip`) names none. */
export function formatOfFileName(fileName: string): ArchiveFormat | undefined {
  return ARCHIVE_FORMATS.find((f) => fileName.length > f.length + 1 && fileName.endsWith(`.${f}`));
}

/** Bytes needed to tell the formats apart. */
export const MAGIC_BYTES = 4;

/**
 * The magic numbers of each format: zip `PK\x03\x04` (or `PK\x05\x06`, an empty zip), gzip
 * `1f 8b`, zstd `28 b5 2f fd`. A gzip stream is taken for tar.gz; the tar reader then checks
 * that a tar is inside.
 */
const MAGIC: Record<ArchiveFormat, readonly (readonly number[])[]> = {
  zip: [
    [0x50, 0x4b, 0x03, 0x04],
    [0x50, 0x4b, 0x05, 0x06],
  ],
  "tar.gz": [[0x1f, 0x8b]],
  "tar.zst": [[0x28, 0xb5, 0x2f, 0xfd]],
};

/** The format the first bytes show, and the magic bytes that showed it. */
export function magicOf(head: Uint8Array): { format: ArchiveFormat; magic: Uint8Array } | undefined {
  for (const format of ARCHIVE_FORMATS) {
    const m = MAGIC[format].find((bytes) => bytes.every((b, i) => head[i] === b));
    if (m) return { format, magic: head.subarray(0, m.length) };
  }
  return undefined;
}

/** The format the first bytes show (magicOf). */
export const formatFromMagic = (head: Uint8Array): ArchiveFormat | undefined => magicOf(head)?.format;

/** The first bytes of a file (fewer when the file is shorter). */
export async function readHead(path: string, n = MAGIC_BYTES): Promise<Uint8Array> {
  const fh = await openRegular(path);
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * The format of the archive at `path`, by its magic bytes; the name's format when the bytes show
 * none, so that the reader for that format reports what is wrong with the content.
 */
export async function detectArchiveFormat(path: string): Promise<ArchiveFormat | undefined> {
  let head: Uint8Array;
  try {
    head = await readHead(path);
  } catch (e) {
    if (isRkeToolsError(e)) throw new RkeToolsError(e.code, `Cannot read archive ${path}: ${e.message}`, { cause: e });
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory" : err.message;
    throw new RkeToolsError(err.code === "ENOENT" ? ErrorCode.NotFound : ErrorCode.Io, `Cannot read archive ${path}: ${why}`, { cause: e });
  }
  return formatFromMagic(head) ?? formatOfFileName(path);
}
