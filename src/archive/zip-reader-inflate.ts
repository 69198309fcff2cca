/**
 * Streams one entry's bytes out of a zip, checked as it goes: never more than the declared size
 * (a lying header cannot fill the disk: zip-bomb defence), then exactly the declared size and the
 * CRC-32 at the end. Memory stays at a few chunks whatever the entry size.
 *
 * Why by hand over node:zlib rather than yauzl's stream: large reads into createInflateRaw with a
 * large chunkSize, handing chunks on synchronously, measured ~400 MB/s against 160 MB/s for
 * yauzl's stream (64 KiB reads) on the same snapshot (docs/decisions.md). 256 KiB rather than
 * 1 MiB: same speed, lower peak RSS.
 */
import { createInflateRaw, crc32 } from "node:zlib";
import { ErrorCode, RkeToolsError, messageOf } from "../errors.ts";
import type { ZipEntry, ZipReader } from "./zip-reader.ts";

const CHUNK = 256 << 10;
/**
 * A full collection every 64 MiB of output: zlib hands out a fresh buffer per chunk, and JSC let
 * ~30 MiB of them pile up before collecting (peak RSS 66 MiB on 1 GiB). With this: 55 MiB at the
 * same speed (~16 collections per GiB of a small heap; docs/bench/restore.md).
 */
const GC_EVERY = 64 << 20;

export interface PumpOptions {
  signal?: AbortSignal;
}

/**
 * Calls `onChunk` with each piece of the entry's uncompressed bytes, in order. A chunk is only
 * valid during the call. When `onChunk` returns a promise, reading pauses until it settles.
 * Throws E_ARCHIVE for a corrupt, truncated or oversized entry; E_ABORTED when `signal` fires.
 */
export async function pumpEntry(zip: ZipReader, entry: ZipEntry, onChunk: (chunk: Uint8Array) => void | Promise<void>, opts: PumpOptions = {}): Promise<{ bytes: number }> {
  const start = await zip.dataStart(entry);
  const fail = (why: string, cause?: unknown) => new RkeToolsError(ErrorCode.Archive, `zip: entry ${entry.name} of ${zip.path} ${why}`, cause === undefined ? {} : { cause });

  let n = 0;
  let crc = 0;
  const take = (c: Uint8Array): void | Promise<void> => {
    n += c.byteLength;
    if (n > entry.uncompressedSize) throw fail(`inflates beyond its declared ${entry.uncompressedSize} bytes (zip bomb or corrupt archive)`);
    crc = crc32(c, crc);
    if (Math.floor(n / GC_EVERY) !== Math.floor((n - c.byteLength) / GC_EVERY)) Bun.gc(true);
    return onChunk(c);
  };

  if (entry.method === 0) await pumpStored(zip, start, entry.compressedSize, take, opts.signal);
  else if (entry.method === 8) await pumpDeflated(zip, start, entry.compressedSize, take, fail, opts.signal);
  else throw fail(`uses unsupported compression method ${entry.method}`);

  if (n !== entry.uncompressedSize) throw fail(`is truncated: ${n} of ${entry.uncompressedSize} bytes`);
  if (crc >>> 0 !== entry.crc32 >>> 0) throw fail(`fails its CRC-32 check (zip: checksum error)`);
  return { bytes: n };
}

async function pumpStored(zip: ZipReader, start: number, size: number, take: (c: Uint8Array) => void | Promise<void>, signal?: AbortSignal) {
  for (let pos = start; pos < start + size; ) {
    signal?.throwIfAborted();
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, start + size - pos));
    const got = await zip.readAt(buf, pos);
    if (got === 0) break; // the size check reports the truncation
    pos += got;
    await take(buf.subarray(0, got));
  }
}

function pumpDeflated(
  zip: ZipReader,
  start: number,
  size: number,
  take: (c: Uint8Array) => void | Promise<void>,
  fail: (why: string, cause?: unknown) => RkeToolsError,
  signal?: AbortSignal,
): Promise<void> {
  const inflate = createInflateRaw({ chunkSize: CHUNK });
  let failure: unknown;
  const stop = (e: unknown) => {
    failure ??= e;
    inflate.destroy();
  };
  const finished = new Promise<void>((resolve) => {
    inflate.on("data", (c: Buffer) => {
      if (failure) return;
      try {
        const p = take(c);
        if (p) {
          inflate.pause();
          p.then(() => inflate.resume(), stop);
        }
      } catch (e) {
        stop(e);
      }
    });
    inflate.on("error", (e) => {
      failure ??= fail(`is corrupt or truncated: ${messageOf(e)}`, e);
      resolve();
    });
    inflate.on("end", resolve);
    inflate.on("close", resolve);
  });
  const onAbort = () => stop(new RkeToolsError(ErrorCode.Aborted, `Operation aborted: ${messageOf(signal?.reason)}`, { cause: signal?.reason }));
  signal?.addEventListener("abort", onAbort, { once: true });

  const feed = (async () => {
    // Two input buffers, reused: one is read into while zlib still works on the other. Fresh
    // buffers per read left garbage that raised the peak RSS by ~10 MiB (docs/bench/restore.md).
    const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    const consumed: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
    for (let pos = start, i = 0; pos < start + size && !failure; i ^= 1) {
      await consumed[i];
      const buf = bufs[i]!;
      const got = await zip.readAt(buf.subarray(0, Math.min(CHUNK, start + size - pos)), pos);
      if (got === 0) break;
      pos += got;
      consumed[i] = written(inflate, buf.subarray(0, got));
      if (inflate.writableNeedDrain) await drained(inflate);
    }
    if (!failure) inflate.end();
  })().catch(stop);

  return Promise.all([finished, feed]).then(() => {
    signal?.removeEventListener("abort", onAbort);
    if (failure) throw failure;
  });
}

function drained(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

/** Writes `chunk`; resolves once zlib is done with it (or the stream is gone), so the buffer can be reused. */
function written(stream: NodeJS.WritableStream & NodeJS.EventEmitter, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("close", done);
      resolve();
    };
    stream.on("close", done);
    stream.write(chunk, done);
  });
}
