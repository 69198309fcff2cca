/**
 * Reads the central directory of a zip (ours, or the original's Go archive/zip layout: absolute
 * names, data descriptors, wrapped DOS dates, ZIP64) with yauzl. yauzl's own data stream is not
 * used: it measured 160 MB/s against 400 MB/s for zip-reader-inflate.ts (docs/decisions.md).
 *
 * Names are decoded as UTF-8 bytes and compared exactly, as Go does. yauzl's name validation is
 * off (`decodeStrings: false`) because it refuses the absolute names every RKE archive carries;
 * the names are never used as output paths here (see snapshot/entries.ts).
 */
import { closeSync, fstatSync, read } from "node:fs";
import yauzl from "yauzl";
import { ErrorCode, RkeToolsError, isRkeToolsError, messageOf } from "../errors.ts";
import { openRegularSync } from "../fs/regular.ts";
import { checkEntryCount, EntryCensus } from "./limits.ts";

export interface ZipEntry {
  /** Entry name as stored (UTF-8), e.g. `/backup/snap1`. */
  readonly name: string;
  /** 0 stored, 8 deflate. */
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Unix mode from the external attributes (0 when the archive holds none). */
  readonly mode: number;
  /** @internal yauzl's entry, to find the local header. */
  readonly raw: yauzl.Entry;
}

/** The message the original gives for anything that is not a readable zip (Go's zip.ErrFormat). */
export const NOT_A_ZIP = "zip: not a valid zip file";

export class ZipReader {
  private closed = false;

  private constructor(
    readonly path: string,
    readonly size: number,
    private readonly fd: number,
    private readonly zip: yauzl.ZipFile,
    readonly entries: readonly ZipEntry[],
  ) {}

  /** Opens `path` and reads its whole central directory. Throws E_NOT_FOUND or E_ARCHIVE. */
  static async open(path: string): Promise<ZipReader> {
    let fd: number;
    try {
      fd = openRegularSync(path);
    } catch (e) {
      if (isRkeToolsError(e)) throw new RkeToolsError(e.code, `open ${path}: ${e.message}`, { cause: e });
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file or directory" : code === "EACCES" ? "permission denied" : messageOf(e);
      throw new RkeToolsError(code === "ENOENT" ? ErrorCode.NotFound : ErrorCode.Io, `open ${path}: ${why}`, { cause: e });
    }
    try {
      const size = fstatSync(fd).size;
      const zip = await yauzl.fromFdPromise(fd, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true });
      const entries = await readAll(zip, path);
      return new ZipReader(path, size, fd, zip, entries);
    } catch (e) {
      closeSync(fd);
      if (isRkeToolsError(e)) throw e; // a valid zip, but not a snapshot archive (limits.ts)
      throw new RkeToolsError(ErrorCode.Archive, `${NOT_A_ZIP} (${path}: ${messageOf(e)})`, { cause: e });
    }
  }

  find(name: string): ZipEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /** Offset of the entry's data, after checking its local header and bounds. */
  async dataStart(entry: ZipEntry): Promise<number> {
    try {
      const { fileDataStart } = await this.zip.readLocalFileHeaderPromise(entry.raw, { minimal: true });
      return fileDataStart;
    } catch (e) {
      throw new RkeToolsError(ErrorCode.Archive, `${NOT_A_ZIP} (${this.path}: entry ${entry.name}: ${messageOf(e)})`, { cause: e });
    }
  }

  /** Reads up to `buf.length` bytes at `position`; returns the count (0 at end of file). */
  readAt(buf: Uint8Array, position: number): Promise<number> {
    return new Promise((resolve, reject) => read(this.fd, buf, 0, buf.byteLength, position, (e, n) => (e ? reject(e) : resolve(n))));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.zip.close(); // yauzl's last unref closes the descriptor
  }
}

/**
 * Every entry of an open yauzl zip (lazy mode), in directory order; refuses what no snapshot
 * archive holds (limits.ts), by the end record's count before a directory record is read.
 */
export function readAll(zip: yauzl.ZipFile, label: string): Promise<ZipEntry[]> {
  return new Promise((resolve, reject) => {
    const out: ZipEntry[] = [];
    const census = new EntryCensus(label);
    try {
      checkEntryCount(label, zip.entryCount);
    } catch (e) {
      return reject(e);
    }
    zip.on("entry", (e: yauzl.Entry) => {
      const name = (e.fileName as unknown as Buffer).toString("utf8"); // a Buffer with decodeStrings: false
      try {
        census.add(name, !name.endsWith("/"));
      } catch (err) {
        return reject(err);
      }
      out.push({
        name,
        method: e.compressionMethod,
        crc32: e.crc32,
        compressedSize: e.compressedSize,
        uncompressedSize: e.uncompressedSize,
        mode: (e.externalFileAttributes >>> 16) & 0o7777,
        raw: e,
      });
      zip.readEntry();
    });
    zip.once("end", () => resolve(out));
    zip.once("error", reject);
    zip.readEntry();
  });
}
