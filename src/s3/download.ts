/**
 * Download of one object (docs/contract.md §d-13): stream it to a temporary file in the target folder
 * (0600) with Bun's native writer while the file is flushed as it grows and, when the upload recorded
 * a SHA-256, the digest is computed from what lands on disk (docs/s3.md, "Download speed"), resume
 * with a ranged GET after a dropped or stalled connection (every GET pinned to HEAD's ETag), check the
 * size and that digest, then rename it to `<dir>/<basename(key)>`. Nothing half-written is left under
 * the final name. Which key a snapshot is: snapshot/stores/s3-snapshots.ts.
 */
import { basename, join } from "node:path";
import { ErrorCode, RkeToolsError, isRkeToolsError, messageOf } from "../errors.ts";
import { AtomicFile, cleanStaleTemps } from "../fs/atomic.ts";
import { silentLogger, type Logger } from "../log/logger.ts";
import { Progress, type ProgressPolicy } from "../log/progress.ts";
import { BodyError } from "../net/body-error.ts";
import { bodyToFile } from "../net/body-to-file.ts";
import { StallWatch, stallPolicy, type StallPolicy } from "../net/stall.ts";
import { abortError, retry, retryPolicy, type RetryPolicy } from "../retry/policy.ts";
import type { S3Client } from "./client.ts";
import { S3RequestError, isTransient } from "./s3-error.ts";
import { SHA256_META, sha256Following } from "./sha256.ts";
import { networkError } from "./transport.ts";

export interface DownloadOptions {
  log?: Logger;
  signal?: AbortSignal;
  /** Attempts for the transfer; each resumes where the last stopped. Default 5, 1 s doubling. */
  retry?: RetryPolicy;
  /** A connection that delivers nothing for this long is dropped and resumed. Default 60 s. */
  idleTimeoutMs?: number;
  /** Progress lines while the object streams in; none when undefined. */
  progress?: ProgressPolicy;
  /** What the progress lines name (the snapshot); default the key. */
  name?: string;
}

export const DEFAULT_DOWNLOAD_RETRY = retryPolicy({ attempts: 5, delayMs: 1000, factor: 2, jitter: 0.2, maxDelayMs: 15_000 });

/**
 * Downloads `key` into `<dir>/<basename(key)>`, resumed, verified and renamed into place; returns that path. */
export async function downloadObject(client: S3Client, key: string, dir: string, opts: DownloadOptions = {}): Promise<string> {
  const log = opts.log ?? client.log ?? silentLogger;
  const name = opts.name ?? key;
  const head = await client.headObject(key, { signal: opts.signal });
  if (!head) throw new RkeToolsError(ErrorCode.S3, `failed to download s3 backup: [${key}] disappeared after listing`);
  const target = join(dir, basename(key));
  await cleanStaleTemps(dir, { of: basename(key) }); // left by a killed run; they also hold disk space
  const file = await AtomicFile.create(target);
  // Hashing costs about 1 s of CPU per GiB: done only when the upload recorded a digest to check
  // (the original's uploads have none). It reads what lands on disk, beside the transfer.
  const expected = head.metadata[SHA256_META]?.toLowerCase();
  const hashing = expected ? sha256Following(file.tempPath) : undefined;
  // Disk writes start early too, as the file grows (net/body-to-file.ts), so that the fsync before
  // the rename has little left (docs/s3.md, "Download speed").
  const progress = opts.progress && Progress.start({ log, msg: "Downloading snapshot", fields: { name }, total: head.size, policy: opts.progress });
  const stall = stallPolicy({ idleMs: opts.idleTimeoutMs });
  const receive = (res: Response, watch: StallWatch) => bodyToFile(res, file, { watch, expected: head.size, onGrowth: (size) => progress?.set(size) });
  let mismatch: RkeToolsError | undefined; // the one error of this function's own that the catch passes on as it is
  try {
    await retry(
      async () => {
        if (file.written === head.size) return;
        // Every request names the object HEAD saw, so that a resume never splices in a replacement.
        const headers: Record<string, string> = head.etag ? { "If-Match": head.etag } : {};
        if (file.written > 0) headers.Range = `bytes=${file.written}-`;
        await streamBody(client, key, headers, receive, stall, opts.signal);
      },
      { ...(opts.retry ?? DEFAULT_DOWNLOAD_RETRY), retryOn: (e) => isTransient(e) },
      {
        signal: opts.signal,
        onRetry: (e, attempt, ms) => log.warn(`download of [${key}] interrupted, resuming at byte ${file.written} in ${Math.round(ms)}ms`, { attempt, error: messageOf(e) }),
      },
    );
    progress?.stop();
    const digest = await hashing?.digest();
    if (expected && expected !== digest) {
      mismatch = new RkeToolsError(ErrorCode.S3, `failed to download s3 backup: [${key}] has SHA-256 ${digest}, but ${expected} was recorded at upload`);
      throw mismatch;
    }
    await file.commit();
  } catch (e) {
    progress?.stop();
    await hashing?.stop();
    await file.abort();
    if (e instanceof S3RequestError && e.status === 412) {
      throw new RkeToolsError(ErrorCode.S3, `failed to download s3 backup: [${key}] was replaced during the download (ETag ${head.etag} no longer matches); try again`, {
        cause: e,
      });
    }
    if (e === mismatch || isRkeToolsError(e, ErrorCode.Aborted)) throw e; // told as it is, not wrapped
    throw new RkeToolsError(e instanceof RkeToolsError ? e.code : ErrorCode.S3, `Unable to download backup file for [${key}]: ${messageOf(e)}`, { cause: e });
  }
  log.info(`Successfully downloaded [${key}]`);
  return target;
}

/**
 * One GET, appended to the file by `receive` (net/body-to-file.ts); its stall watch drops the
 * connection when nothing arrives for the policy's idle time (headers included).
 */
async function streamBody(
  client: S3Client,
  key: string,
  headers: Record<string, string>,
  receive: (res: Response, watch: StallWatch) => Promise<number>,
  stall: StallPolicy,
  parent?: AbortSignal,
): Promise<void> {
  const watch = new StallWatch(stall, parent);
  try {
    const res = await client.request("GET", key, { headers, signal: watch.signal, timeoutMs: 24 * 3600_000 });
    if (headers.Range && res.status !== 206) {
      await res.body?.cancel();
      throw new S3RequestError(500, "RangeIgnored", `GET [${key}] ignored the resume range (HTTP ${res.status})`);
    }
    await receive(res, watch);
  } catch (e) {
    if (parent?.aborted) throw abortError(parent);
    if (watch.stalled) throw new RkeToolsError(ErrorCode.Http, `GET [${key}] stalled: no data for ${Math.round(stall.idleMs / 1000)}s`, { cause: e });
    if (e instanceof BodyError && e.kind === "length")
      throw new RkeToolsError(ErrorCode.Http, `GET [${key}] ended after ${e.fields.bytes} of ${e.fields.expected} bytes`, { cause: e });
    if (e instanceof RkeToolsError) throw e;
    throw networkError(e, { method: "GET", url: new URL(`s3://${client.bucket}/${key}`) });
  } finally {
    watch.stop();
  }
}
