/**
 * One HTTP body into an AtomicFile, the way both downloads (S3, docs/s3.md "Download speed"; a
 * peer's serve, docs/etcd-backup-download.md) need it: a Response goes through Bun's native writer
 * (measured faster and ~30 MiB leaner than a JS loop over its chunks, see AtomicFile.appendBody),
 * so the file's size is polled to learn how far it got; an async iterable of chunks is written
 * chunk by chunk (AtomicFile.appendChunks, also under fs/atomic.ts's streamToFileAtomic). As the
 * file grows: early fdatasyncs (so that the fsync before the rename has little left), the
 * caller's observer (progress), the byte limit, and the stall watch's `touch`.
 * Bytes already in the file (a resumed download) count. The caller commits or aborts the file.
 */
import { fstatSync } from "node:fs";
import type { AtomicFile } from "../fs/atomic.ts";
import { BodyError } from "./body-error.ts";
import { StallWatch, stallPolicy, type StallPolicy } from "./stall.ts";

export interface BodyToFileOptions {
  /**
   * The watch whose signal the request was given: a stall then cuts the connection under the native
   * writer, and the wait for the headers counted too. Without one, a watch is made from `stall`
   * and `signal` (enough for an iterable; a Response's writer cannot be stopped from outside).
   */
  watch?: StallWatch;
  stall?: Partial<StallPolicy>;
  signal?: AbortSignal;
  /** The file may not grow beyond this many bytes: the transfer is cut (BodyError "limit"). */
  limit?: number;
  /** The file must end with exactly this many bytes (BodyError "length"). */
  expected?: number;
  /** Called with the file's size each time it has grown (per chunk, or per poll for a Response). */
  onGrowth?: (size: number) => void;
}

/**
 * Appends `body` to `file`; returns the file's size then. Throws the watch's failure (E_ABORTED
 * for the parent signal, BodyError "stall"/"limit") over anything else, then BodyError "length",
 * the file's own errors (E_IO, naming the final path), or the body's error as it came (the caller
 * words network failures in its own terms).
 */
export async function bodyToFile(body: Response | AsyncIterable<Uint8Array>, file: AtomicFile, opts: BodyToFileOptions = {}): Promise<number> {
  const watch = opts.watch ?? new StallWatch(stallPolicy(opts.stall), opts.signal);
  const native = body instanceof Response;
  let seen = file.written;
  const grew = () => {
    const size = native ? fstatSync(file.fd).size : file.written;
    if (size <= seen) return;
    seen = size;
    watch.touch();
    file.syncAsItGrows(size);
    opts.onGrowth?.(size);
    if (opts.limit !== undefined && size > opts.limit) watch.cut(new BodyError("limit", `the body outgrew ${opts.limit} bytes`, { bytes: size, limit: opts.limit }));
  };
  const stopPolling = watch.policy.clock.every(watch.policy.pollMs, grew);
  try {
    if (native) await file.appendBody(body);
    else await file.appendChunks(body, { signal: watch.signal, onChunk: grew });
  } catch (e) {
    throw watch.failure() ?? e;
  } finally {
    stopPolling();
    if (!opts.watch) watch.stop();
  }
  const bytes = file.written;
  if (opts.expected !== undefined && bytes !== opts.expected) throw new BodyError("length", `received ${bytes} of ${opts.expected} bytes`, { bytes, expected: opts.expected });
  if (opts.limit !== undefined && bytes > opts.limit) throw new BodyError("limit", `the body outgrew ${opts.limit} bytes`, { bytes, limit: opts.limit });
  return bytes;
}
