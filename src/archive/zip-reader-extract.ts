/**
 * Extracts one entry of a zip to a file, atomically (temporary name in the same folder, 0600,
 * fsync, rename): an interrupted or failed extraction leaves nothing under the final name, unlike
 * the original, which left a truncated raw file (docs/contract.md §o-8).
 *
 * Refused before a byte is written: sizes above `maxBytes` (absurd), a declared ratio above what
 * deflate can produce (a lying header), and entries larger than the free space of the target
 * file system. While writing, pumpEntry refuses bytes beyond the declared size.
 */
import { ErrorCode, RkeToolsError } from "../errors.ts";
import { AtomicFile } from "../fs/atomic.ts";
import { silentLogger, type Logger } from "../log/logger.ts";
import { checkFreeSpace, MAX_SNAPSHOT_BYTES, sameEntryName } from "./limits.ts";
import { ZipReader, type ZipEntry } from "./zip-reader.ts";
import { pumpEntry } from "./zip-reader-inflate.ts";

/** Deflate cannot expand beyond ~1032:1; a header claiming more is lying. */
export const MAX_DEFLATE_RATIO = 1100;

export interface ExtractOptions {
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

/**
 * Which entry to extract: a name (taken as is, or without its leading `/` or `./`), or a choice
 * among the archive's names made by the caller (the snapshot layer's rule, snapshot/entries.ts);
 * `wanted` names the entry in messages.
 */
export type EntrySelector = string | { wanted: string; choose(names: readonly string[]): { name: string; exact: boolean } | undefined };

function select(zip: ZipReader, selector: EntrySelector): { entry: ZipEntry; exact: boolean } | undefined {
  const names = zip.entries.map((e) => e.name);
  const chosen = typeof selector === "string" ? byName(names, selector) : selector.choose(names);
  const entry = chosen && zip.find(chosen.name);
  return entry && { entry, exact: chosen.exact };
}

function byName(names: readonly string[], wanted: string): { name: string; exact: boolean } | undefined {
  if (names.includes(wanted)) return { name: wanted, exact: true };
  const same = names.find((n) => sameEntryName(n, wanted));
  return same === undefined ? undefined : { name: same, exact: false };
}

export interface ExtractResult {
  entry: ZipEntry;
  bytes: number;
  /** False when another entry stood in for the wanted name. */
  exact: boolean;
}

/** The original's text when the wanted entry is missing (docs/contract.md §o-5). */
export function entryNotFound(entryName: string, zipPath: string): RkeToolsError {
  return new RkeToolsError(ErrorCode.Archive, `File [${entryName}] not found in file [${zipPath}]`);
}

export async function extractEntryToFile(zipPath: string, selector: EntrySelector, dest: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const log = opts.log ?? silentLogger;
  const entryName = typeof selector === "string" ? selector : selector.wanted;
  const zip = await ZipReader.open(zipPath);
  try {
    const found = select(zip, selector);
    if (!found) throw entryNotFound(entryName, zipPath);
    const { entry, exact } = found;
    if (!exact) log.warn(`Entry [${entryName}] not found in [${zipPath}]: using its only candidate [${entry.name}]`);
    checkDeclaredSize(entry, zipPath, opts.maxBytes ?? MAX_SNAPSHOT_BYTES);
    checkFreeSpace(dest, entry.uncompressedSize);

    const file = await AtomicFile.create(dest, { mode: opts.mode ?? 0o600 });
    opts.onSize?.(entry.uncompressedSize);
    try {
      const { bytes } = await pumpEntry(zip, entry, (c) => (file.writeSync(c), opts.onBytes?.(c.byteLength)), { signal: opts.signal });
      await file.commit();
      return { entry, bytes, exact };
    } catch (e) {
      await file.abort();
      throw e;
    }
  } finally {
    zip.close();
  }
}

function checkDeclaredSize(entry: ZipEntry, zipPath: string, maxBytes: number): void {
  const what = `zip: entry ${entry.name} of ${zipPath}`;
  if (entry.uncompressedSize > maxBytes) {
    throw new RkeToolsError(ErrorCode.Archive, `${what} declares ${entry.uncompressedSize} bytes, more than the ${maxBytes} accepted`);
  }
  const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
  if (entry.method === 8 && ratio > MAX_DEFLATE_RATIO) {
    throw new RkeToolsError(ErrorCode.Archive, `${what} declares a compression ratio of ${Math.round(ratio)}:1, beyond what deflate can produce (zip bomb or corrupt archive)`);
  }
}
