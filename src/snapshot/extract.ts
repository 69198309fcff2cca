/**
 * One entry of a snapshot archive to a file, whatever the archive's format (told by its magic
 * bytes, archive/format.ts): zips through the zip reader, tar.gz / tar.zst through the tar reader. Either
 * way the file appears under its final name only after the whole archive checked out (temporary
 * name, 0600, fsync, rename), with the original's text when the entry is missing.
 */
import { detectArchiveFormat, type ArchiveFormat } from "../archive/format.ts";
import { checkFreeSpace, MAX_SNAPSHOT_BYTES } from "../archive/limits.ts";
import { compressionOf } from "../archive/tar-compression.ts";
import { extractTarEntry } from "../archive/tar-reader.ts";
import { entryNotFound, extractEntryToFile } from "../archive/zip-reader-extract.ts";
import { ErrorCode, RkeToolsError } from "../errors.ts";
import { AtomicFile } from "../fs/atomic.ts";
import { openRegular } from "../fs/regular.ts";
import type { Logger } from "../log/logger.ts";
import { entryNames } from "./layout.ts";

export interface ExtractArchiveOptions {
  signal?: AbortSignal;
  log?: Logger;
  /** Mode of the written file. Default 0o600. */
  mode?: number;
  /** Refuse entries declaring more. Default MAX_SNAPSHOT_BYTES. */
  maxBytes?: number;
  /** Told the entry's size before its first byte, then each piece written (progress lines). */
  onSize?: (bytes: number) => void;
  onBytes?: (bytes: number) => void;
}

export interface ExtractedEntry {
  format: ArchiveFormat;
  /** The entry's name in the archive. */
  entry: string;
  bytes: number;
}

/** Extracts the snapshot (`kind` "snapshot") or state file of `name` from `archivePath` to `dest`. */
export async function extractArchiveEntry(
  archivePath: string,
  kind: "snapshot" | "state",
  name: string,
  dest: string,
  opts: ExtractArchiveOptions = {},
): Promise<ExtractedEntry> {
  const format = (await detectArchiveFormat(archivePath)) ?? "zip"; // unknown bytes: the zip reader says what is wrong
  const entry = entryNames(name, format)[kind];
  if (format === "zip") {
    const r = await extractEntryToFile(archivePath, entry, dest, { signal: opts.signal, log: opts.log, mode: opts.mode, maxBytes: opts.maxBytes, onSize: opts.onSize, onBytes: opts.onBytes });
    return { format, entry: r.entry.name, bytes: r.bytes };
  }
  const source = await openRegular(archivePath);
  const file = await AtomicFile.create(dest, { mode: opts.mode ?? 0o600 }).catch(async (e: unknown) => {
    await source.close();
    throw e;
  });
  try {
    const sink = opts.onBytes ? { write: async (c: Uint8Array) => (await file.write(c), opts.onBytes!(c.byteLength)) } : file;
    const header = await extractTarEntry(source.createReadStream({ highWaterMark: 256 * 1024 }), entry, sink, {
      compression: compressionOf(format),
      label: archivePath,
      signal: opts.signal,
      maxBytes: opts.maxBytes ?? MAX_SNAPSHOT_BYTES,
      accept: (h) => (checkFreeSpace(dest, h.size), opts.onSize?.(h.size)), // as the zip path: before writing, not at ENOSPC
    });
    if (!header) throw entryNotFound(entry, archivePath);
    if (file.written !== header.size) {
      throw new RkeToolsError(ErrorCode.Archive, `tar: entry ${header.name} of ${archivePath} is truncated: ${file.written} of ${header.size} bytes`);
    }
    await file.commit();
    return { format, entry: header.name, bytes: file.written };
  } catch (e) {
    await file.abort();
    throw e;
  } finally {
    await source.close().catch(() => {}); // the stream closes it when read to the end
  }
}
