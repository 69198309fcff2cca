/**
 * Parallel deflate, pigz-style: the input is cut into blocks, each compressed on Bun's zlib
 * thread pool with the previous block's last 32 KiB as dictionary and ended with a sync flush
 * (the last one with Z_FINISH); the outputs, concatenated in order, are one valid raw deflate
 * stream. A few blocks are in flight at once, so memory stays a few MiB whatever the size, and
 * both cores compress while the main thread receives and hashes the etcd stream.
 */
import { availableParallelism } from "node:os";
import zlib from "node:zlib";
import type { Deflater } from "./deflate.ts";

const WINDOW = 32 * 1024;

export interface ParallelDeflateOptions {
  level: number;
  /** Input bytes per block. */
  blockSize?: number;
  /** Blocks compressing at once. */
  inFlight?: number;
}

function deflateBlock(block: Uint8Array, opts: zlib.ZlibOptions): Promise<Uint8Array> {
  return new Promise((resolve, reject) => zlib.deflateRaw(block, opts, (e, out) => (e ? reject(e) : resolve(out))));
}

export function parallelDeflater(opts: ParallelDeflateOptions): Deflater {
  const blockSize = opts.blockSize ?? 1024 * 1024;
  const inFlight = opts.inFlight ?? Math.max(2, availableParallelism()) + 1;
  return async function* (source) {
    const queue: Promise<Uint8Array>[] = [];
    // Input blocks are reused once compressed: garbage stays small, and so does the RSS.
    const free: Buffer[] = [];
    const take = () => free.pop() ?? Buffer.allocUnsafe(blockSize);
    let dictionary: Uint8Array | undefined;
    let block = take();
    let fill = 0;
    const submit = (data: Buffer, last: boolean) => {
      const p = deflateBlock(data, {
        level: opts.level,
        finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
        ...(dictionary ? { dictionary } : {}),
      }).then((out) => {
        if (data.byteLength === blockSize) free.push(data);
        return out;
      });
      p.catch(() => {}); // awaited in order below; never an unhandled rejection meanwhile
      queue.push(p);
      if (!last) dictionary = Buffer.from(data.subarray(data.byteLength - WINDOW)); // a copy: the block is reused
    };
    try {
      for await (const chunk of source) {
        let off = 0;
        while (off < chunk.byteLength) {
          const n = Math.min(blockSize - fill, chunk.byteLength - off);
          block.set(chunk.subarray(off, off + n), fill);
          fill += n;
          off += n;
          if (fill === blockSize) {
            submit(block, false);
            block = take(); // the submitted block is still being read
            fill = 0;
            while (queue.length >= inFlight) yield await queue.shift()!;
          }
        }
      }
      submit(block.subarray(0, fill), true);
      while (queue.length) yield await queue.shift()!;
    } finally {
      queue.length = 0;
    }
  };
}
