/**
 * A streaming zip writer that produces the original's exact layout (zip-records.ts), including
 * absolute entry names, which yazl and zip-stream refuse or rewrite (docs/decisions.md). Entries
 * are compressed as they stream in; memory does not grow with entry size.
 */
import zlib from "node:zlib";
import { centralHeader, dataDescriptor, endRecords, flagsFor, localHeader, type EntryRecord } from "./zip-records.ts";
import type { ByteSink } from "../fs/sink.ts";
import { streamDeflater, type Deflater } from "./deflate.ts";

const FLUSH_AT = 1024 * 1024;

export interface ZipWriterOptions {
  deflater?: Deflater;
}

export interface AddedEntry {
  name: string;
  crc: number;
  compressed: number;
  uncompressed: number;
}

export class ZipWriter {
  private offset = 0;
  private readonly entries: EntryRecord[] = [];
  /** Small records and compressed chunks are gathered here and written 1 MiB at a time; reused. */
  private readonly buf = Buffer.allocUnsafe(FLUSH_AT);
  private fill = 0;
  private readonly deflater: Deflater;
  private finished = false;

  constructor(
    private readonly sink: ByteSink,
    opts: ZipWriterOptions = {},
  ) {
    this.deflater = opts.deflater ?? streamDeflater();
  }

  /** Bytes produced so far (written or buffered). */
  get size(): number {
    return this.offset;
  }

  /** Adds one entry; `mode` is the source file's permission bits (kept in the external attributes). */
  async add(name: string, mode: number, source: AsyncIterable<Uint8Array> | Uint8Array): Promise<AddedEntry> {
    if (this.finished) throw new Error("zip already finished");
    const nameBytes = new TextEncoder().encode(name);
    const flags = flagsFor(name);
    const entry: EntryRecord = { name: nameBytes, flags, mode, crc: 0, compressed: 0, uncompressed: 0, offset: this.offset };
    await this.emit(localHeader(nameBytes, flags));
    const input = source instanceof Uint8Array ? once(source) : source;
    const tapped = async function* () {
      for await (const chunk of input) {
        entry.crc = zlib.crc32(chunk, entry.crc);
        entry.uncompressed += chunk.byteLength;
        yield chunk;
      }
    };
    for await (const out of this.deflater(tapped())) {
      entry.compressed += out.byteLength;
      await this.emit(out);
    }
    await this.emit(dataDescriptor(entry));
    this.entries.push(entry);
    return { name, crc: entry.crc >>> 0, compressed: entry.compressed, uncompressed: entry.uncompressed };
  }

  /** Writes the central directory and flushes; returns the archive size. */
  async finish(): Promise<number> {
    this.finished = true;
    const dirOffset = this.offset;
    for (const e of this.entries) await this.emit(centralHeader(e));
    await this.emit(endRecords(this.entries.length, dirOffset, this.offset - dirOffset));
    await this.flush();
    return this.offset;
  }

  private async emit(chunk: Uint8Array): Promise<void> {
    this.offset += chunk.byteLength;
    if (this.fill + chunk.byteLength > FLUSH_AT) await this.flush();
    if (chunk.byteLength >= FLUSH_AT) {
      await this.sink.write(chunk);
      return;
    }
    this.buf.set(chunk, this.fill);
    this.fill += chunk.byteLength;
  }

  private async flush(): Promise<void> {
    if (this.fill === 0) return;
    const n = this.fill;
    this.fill = 0;
    await this.sink.write(this.buf.subarray(0, n)); // the sink is done with it when this resolves
  }
}

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}
