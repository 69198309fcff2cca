/**
 * Deflate engines for the zip writer: raw deflate of a byte stream into a byte stream. The
 * streaming engine runs zlib on Bun's worker thread pool, so compression overlaps with whatever
 * produces the input (the etcd stream) on the main thread.
 */
import { Readable, pipeline } from "node:stream";
import zlib from "node:zlib";

export type Deflater = (source: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;

/** Default level: measured against the original's flate level 5 in docs/bench/save.md. */
export const DEFAULT_LEVEL = 6;

export function streamDeflater(level = DEFAULT_LEVEL): Deflater {
  return (source) => {
    const deflate = zlib.createDeflateRaw({ level, chunkSize: 256 * 1024 });
    // pipeline() destroys the deflate stream with the source's error, so the consumer sees it.
    // Copied: the stream queues chunks, and a snapshot's chunks live only until the next one.
    const copies = (async function* () {
      for await (const chunk of source) yield Buffer.from(chunk);
    })();
    pipeline(Readable.from(copies, { objectMode: false, highWaterMark: 1 }), deflate, () => {});
    return deflate;
  };
}

/**
 * A deflater named by text, for benchmarks comparing engines: `parallel:<level>` or
 * `stream:<level>`; undefined for anything else.
 */
export function parseDeflaterSpec(spec: string): { engine: "parallel" | "stream"; level: number } | undefined {
  const m = /^(parallel|stream):([1-9])$/.exec(spec);
  return m ? { engine: m[1] as "parallel" | "stream", level: Number(m[2]) } : undefined;
}
