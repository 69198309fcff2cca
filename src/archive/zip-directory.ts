/**
 * The entries of a zip whose bytes are only reachable by range (an S3 object: ranged GETs), without
 * fetching the whole archive: yauzl finds the end records (ZIP64 locator and end record included)
 * and walks the central directory through `read`, and this reader serves those reads from one
 * window fetched at a time. The first window is the last 64 KiB + 42 bytes — where yauzl looks for
 * the end record — and for a snapshot zip (two entries) it also holds the central directory, so one
 * request answers. Entry data is never read here.
 */
import yauzl from "yauzl";
import { readAll, type ZipEntry } from "./zip-reader.ts";

/** Bytes [start, end) of the archive. */
export type RangeRead = (start: number, end: number) => Promise<Uint8Array>;

/** What yauzl reads first: the end record (22 bytes), the longest comment and a ZIP64 locator (20). */
const WINDOW = 22 + 0xffff + 20;

class WindowReader extends yauzl.RandomAccessReader {
  private start = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  private fetches = 0;

  constructor(
    private readonly fetchRange: RangeRead,
    private readonly size: number,
    private readonly maxFetches: number,
  ) {
    super();
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    this.load(position, length).then(
      () => {
        buffer.set(this.bytes.subarray(position - this.start, position - this.start + length), offset);
        (callback as (err: Error | null, bytesRead: number) => void)(null, length);
      },
      (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
    );
  }

  override _readStreamForRange(): never {
    throw new Error("zip entry data is not read through a range reader");
  }

  private async load(position: number, length: number): Promise<void> {
    if (position >= this.start && position + length <= this.start + this.bytes.byteLength) return;
    // A directory far from the end, or a huge one, costs a request per window: bounded.
    if (++this.fetches > this.maxFetches) throw new Error(`central directory needs more than ${this.maxFetches} range reads`);
    const end = Math.min(this.size, position + Math.max(length, WINDOW));
    const bytes = await this.fetchRange(position, end);
    if (bytes.byteLength !== end - position) throw new Error(`range ${position}-${end - 1} returned ${bytes.byteLength} bytes`);
    this.start = position;
    this.bytes = bytes;
  }
}

/** Every entry of the central directory (names, sizes, CRCs, modes). Throws when it is no zip. */
export async function readZipEntriesByRange(read: RangeRead, size: number, opts: { maxFetches?: number; label?: string } = {}): Promise<ZipEntry[]> {
  const reader = new WindowReader(read, size, opts.maxFetches ?? 8);
  const zip = await yauzl.fromRandomAccessReaderPromise(reader, size, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true });
  try {
    return await readAll(zip, opts.label ?? "zip");
  } finally {
    zip.close();
  }
}
