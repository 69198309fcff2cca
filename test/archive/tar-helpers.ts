/** Helpers for the tar tests: archives written through the real writer into real files. */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AtomicFile } from "../../src/fs/atomic.ts";
import type { TarCompression } from "../../src/archive/tar-compression.ts";
import { TarWriter } from "../../src/archive/tar-writer.ts";

export function tempDir(prefix: string): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), `rke-${prefix}-`));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** `n` bytes: random and repetitive halves, so that compression has work to do. */
export function sampleBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  randomBytes(Math.floor(n / 2)).copy(b);
  const text = Buffer.from('{"kind":"Pod","metadata":{"name":"nginx","namespace":"default"}}\n');
  for (let o = Math.floor(n / 2); o < n; o += text.length) text.copy(b, o, 0, Math.min(text.length, n - o));
  return b;
}

export async function* chunked(b: Uint8Array, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < b.byteLength; o += size) yield b.subarray(o, Math.min(b.byteLength, o + size));
}

export interface TestEntry {
  name: string;
  mode: number;
  data: Uint8Array;
}

/** Writes `entries` into `path` through TarWriter and an AtomicFile, as save does. */
export async function writeTarFile(path: string, compression: TarCompression, entries: TestEntry[]): Promise<number> {
  const file = await AtomicFile.create(path);
  try {
    const tar = new TarWriter(file, { compression });
    for (const e of entries) await tar.add(e.name, e.mode, chunked(e.data), { size: () => e.data.byteLength });
    const n = await tar.finish();
    await file.commit();
    return n;
  } catch (e) {
    await file.abort();
    throw e;
  }
}

export function fileStream(path: string): AsyncIterable<Uint8Array> {
  return createReadStream(path, { highWaterMark: 256 * 1024 });
}

/** A sink that keeps everything in memory (small test entries only). */
export class MemorySink {
  readonly chunks: Buffer[] = [];
  async write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(Buffer.from(chunk));
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * One ustar header, written by hand so that it may declare what no writer of ours would: any size
 * (base-256 from 8 GiB on, as GNU tar), any type ("0" file, "5" folder), with no data after it.
 */
export function ustarHeader(name: string, size: number, type = "0"): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write("0000600\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  if (size < 8 ** 11) h.write(size.toString(8).padStart(11, "0") + "\0", 124);
  else {
    h[124] = 0x80; // base-256, big-endian in the 11 bytes that follow
    for (let i = 135, v = size; i > 124; i--, v = Math.floor(v / 256)) h[i] = v % 256;
  }
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h.write(type, 156);
  h.write("ustar\u000000", 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}
