/**
 * One entry of a snapshot archive to a file, whatever the archive's format (told by its magic
 * bytes, archive/format.ts): zips through the zip reader, tar.gz / tar.zst through the tar reader,
 * the entry chosen by the one rule of entries.ts. Either way the file appears under its final name
 * only after the whole archive checked out (temporary name, 0600, fsync, rename), with the
 * original's text when the entry is missing.
 */
import { detectArchiveFormat, type ArchiveFormat } from "../archive/format.ts";
import { checkFreeSpace, MAX_SNAPSHOT_BYTES } from "../archive/limits.ts";
import { compressionOf } from "../archive/tar-compression.ts";
import { extractTarEntry, readTar } from "../archive/tar-reader.ts";
import { entryNotFound, extractEntryToFile, type ExtractOptions } from "../archive/zip-reader-extract.ts";
import { ErrorCode, RkeToolsError } from "../errors.ts";
import { AtomicFile } from "../fs/atomic.ts";
import { openRegular } from "../fs/regular.ts";
import { silentLogger } from "../log/logger.ts";
import { entryChoice, standInWarning, type EntryKind } from "./entries.ts";

/** As the zip reader's: signal, log, mode, maxBytes, and the progress hooks. */
export type ExtractArchiveOptions = ExtractOptions;

export interface ExtractedEntry {
  format: ArchiveFormat;
  /** The entry's name in the archive. */
  entry: string;
  bytes: number;
}

/** Extracts the snapshot (`kind` "snapshot") or state file of `name` from `archivePath` to `dest`. */
export async function extractArchiveEntry(archivePath: string, kind: EntryKind, name: string, dest: string, opts: ExtractArchiveOptions = {}): Promise<ExtractedEntry> {
  const format = (await detectArchiveFormat(archivePath)) ?? "zip"; // unknown bytes: the zip reader says what is wrong
  const choice = entryChoice(kind, name, format);
  if (format === "zip") {
    const r = await extractEntryToFile(archivePath, choice, dest, opts);
    return { format, entry: r.entry.name, bytes: r.bytes };
  }
  const tarOpts = { compression: compressionOf(format), label: archivePath, signal: opts.signal };
  /** One pass over the archive, from a descriptor opened as a regular file (a FIFO never blocks). */
  const pass = async <T>(source: Awaited<ReturnType<typeof openRegular>>, read: (s: AsyncIterable<Uint8Array>) => Promise<T>): Promise<T> => {
    try {
      return await read(source.createReadStream({ highWaterMark: 256 * 1024 }));
    } finally {
      await source.close().catch(() => {}); // the stream closes it when read to the end
    }
  };
  const extract = (source: Awaited<ReturnType<typeof openRegular>>, entry: string) => {
    const sink = opts.onBytes ? { write: async (c: Uint8Array) => (await file.write(c), opts.onBytes!(c.byteLength)) } : file;
    return pass(source, (s) =>
      extractTarEntry(s, entry, sink, {
        ...tarOpts,
        maxBytes: opts.maxBytes ?? MAX_SNAPSHOT_BYTES,
        accept: (h) => (checkFreeSpace(dest, h.size), opts.onSize?.(h.size)), // as the zip path: before writing, not at ENOSPC
      }),
    );
  };
  const first = await openRegular(archivePath);
  const file = await AtomicFile.create(dest, { mode: opts.mode ?? 0o600 }).catch(async (e: unknown) => {
    await first.close();
    throw e;
  });
  try {
    // A tar is read in one pass: the exact name first; a renamed archive takes a second pass
    // for its names and a third for the one that stands in (entries.ts), as rare as it is slow.
    let header = await extract(first, choice.wanted);
    if (!header) {
      const names = (await pass(await openRegular(archivePath), (s) => readTar(s, tarOpts))).map((h) => h.name);
      const chosen = choice.choose(names);
      if (chosen && !chosen.exact) {
        (opts.log ?? silentLogger).warn(standInWarning(choice.wanted, archivePath, chosen.name));
        header = await extract(await openRegular(archivePath), chosen.name);
      }
    }
    if (!header) throw entryNotFound(choice.wanted, archivePath);
    if (file.written !== header.size) {
      throw new RkeToolsError(ErrorCode.Archive, `tar: entry ${header.name} of ${archivePath} is truncated: ${file.written} of ${header.size} bytes`);
    }
    await file.commit();
    return { format, entry: header.name, bytes: file.written };
  } catch (e) {
    await file.abort();
    throw e;
  }
}
