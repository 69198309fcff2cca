/**
 * Upload of a file to a key (docs/contract.md §a.4, §b-5): skipped when the object
 * exists with a size and bucket versioning is not Enabled (the original's rule, so that every etcd
 * host does not upload the same snapshot again); otherwise one PUT for small archives, a parallel
 * multipart upload for large ones, the archive's SHA-256 stored as x-amz-meta-sha256. The whole
 * upload is tried 1 + `--s3-retries` times; each part has its own retries. The final error says
 * `failed to upload etcd snapshot file` (RKE's phrase, docs/contract.md §d-6). The local file is never touched.
 */
import { stat } from "node:fs/promises";
import { contentTypeOf, formatOfFileName } from "../archive/format.ts";
import { ErrorCode, RkeToolsError, isRkeToolsError, messageOf } from "../errors.ts";
import { silentLogger, type Logger } from "../log/logger.ts";
import { Progress, type ProgressPolicy } from "../log/progress.ts";
import { retry, retryPolicy, type RetryPolicy } from "../retry/policy.ts";
import type { S3Client } from "./client.ts";
import { defaultPartSize, multipartUpload } from "./multipart.ts";
import type { StallPolicy } from "./part-watchdog.ts";
import { S3RequestError, isTransient } from "./s3-error.ts";
import { SHA256_META, sha256File } from "./sha256.ts";

const MIB = 1024 * 1024;

export interface UploadOptions {
  log?: Logger;
  signal?: AbortSignal;
  /** Whole-upload attempts: 1 + --s3-retries (the original's count). */
  retry?: RetryPolicy;
  /** Per-part attempts within one upload. Default 4, 1 s doubling, jittered. */
  partRetry?: RetryPolicy;
  /** Archives larger than this go multipart. Default 16 MiB. */
  multipartThreshold?: number;
  /** Default: about 8 parts of 16–128 MiB (multipart.ts `defaultPartSize`). */
  partSize?: number;
  /** Parts in flight. Default 4. */
  concurrency?: number;
  /** Ceiling for one request, however steadily it moves. Default 5 min, or the part's size at 64 KiB/s. */
  partTimeoutMs?: number;
  /** When a part in flight counts as stalled next to the finished ones. Default 60 s and 4× (part-watchdog.ts). */
  stall?: StallPolicy;
  /** Hex digest when the caller already has it; computed otherwise. */
  sha256?: string;
  /** Progress lines of a multipart upload, counted in stored parts; none when undefined. */
  progress?: ProgressPolicy;
  /** What the log and progress lines name (the snapshot); default the key's last part. */
  name?: string;
  /** Default: the content type of the format the key's suffix names (zip when none). */
  contentType?: string;
}

export interface UploadResult {
  key: string;
  size: number;
  sha256: string;
  /** The object already existed and versioning is off: nothing was sent. */
  skipped: boolean;
  parts: number;
}

export const DEFAULT_PART_RETRY = retryPolicy({ attempts: 4, delayMs: 1000, factor: 2, jitter: 0.2, maxDelayMs: 15_000 });

/** `--s3-retries N` as a policy: 1 + N attempts, short backoff, transient failures only. */
export function uploadRetryPolicy(s3Retries: number): RetryPolicy {
  return retryPolicy({ attempts: 1 + Math.max(0, s3Retries), delayMs: 2000, factor: 2, jitter: 0.2, retryOn: isTransient });
}

export async function uploadFile(client: S3Client, archivePath: string, key: string, opts: UploadOptions = {}): Promise<UploadResult> {
  const log = opts.log ?? client.log ?? silentLogger;
  const name = opts.name ?? key.slice(key.lastIndexOf("/") + 1);
  const fail = (e: unknown) =>
    isRkeToolsError(e, ErrorCode.Aborted) ? e : new RkeToolsError(ErrorCode.S3Upload, `failed to upload etcd snapshot file: ${messageOf(e)}`, { cause: e });

  let size: number;
  try {
    size = (await stat(archivePath)).size;
  } catch (e) {
    throw fail(
      new RkeToolsError(ErrorCode.NotFound, `Cannot read ${archivePath}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : messageOf(e)}`, { cause: e }),
    );
  }

  // As the original: an error here means "we cannot tell", and the upload goes ahead.
  const existing = await client.headObject(key, { signal: opts.signal }).catch(() => undefined);
  if (existing && existing.size > 0) {
    const versioning = await client.versioning({ signal: opts.signal }).catch(() => "");
    if (versioning !== "Enabled") {
      log.info("Skipping upload to s3 because snapshot already exists and versioning is not enabled for the bucket", { name });
      return { key, size: existing.size, sha256: existing.metadata[SHA256_META] ?? "", skipped: true, parts: 0 };
    }
  }

  log.info(`invoking uploading backup file [${key}] to s3`);
  const sha256 = opts.sha256 ?? (await sha256File(archivePath, opts.signal));
  const headers = { "Content-Type": opts.contentType ?? contentTypeOf(formatOfFileName(key) ?? "zip"), [`x-amz-meta-${SHA256_META}`]: sha256 };
  const policy = opts.retry ?? uploadRetryPolicy(0);
  let parts = 1;
  try {
    await retry(
      async () => {
        if (size <= (opts.multipartThreshold ?? 16 * MIB)) {
          // The single PUT gets a part's retries: one transient 503 or reset must not fail the
          // upload when --s3-retries is 0 (its default), as minio-go's own retries did not.
          const partRetry = opts.partRetry ?? DEFAULT_PART_RETRY;
          await retry(
            async () => {
              const res = await client.request("PUT", key, {
                headers: { ...headers, "Content-Length": String(size) },
                body: Bun.file(archivePath),
                signal: opts.signal,
                timeoutMs: opts.partTimeoutMs ?? 5 * 60_000,
              });
              await res.body?.cancel();
            },
            { ...partRetry, retryOn: (e, a) => isTransient(e) && partRetry.retryOn(e, a) },
            { signal: opts.signal, onRetry: (e, attempt, ms) => log.warn(`uploading [${key}] failed, retrying in ${Math.round(ms)}ms`, { attempt, error: messageOf(e) }) },
          );
        } else {
          // Counted in stored parts: watching the body itself costs 2–3× the CPU (multipart.ts).
          const progress = opts.progress && Progress.start({ log, msg: "Uploading snapshot", fields: { name }, total: size, policy: opts.progress });
          parts = await multipartUpload(client, archivePath, key, size, {
            onPartStored: (bytes) => progress?.add(bytes),
            partSize: opts.partSize ?? defaultPartSize(size),
            concurrency: opts.concurrency ?? 4,
            partRetry: opts.partRetry ?? DEFAULT_PART_RETRY,
            partTimeoutMs: opts.partTimeoutMs,
            stall: opts.stall,
            headers,
            signal: opts.signal,
          }).finally(() => progress?.stop());
        }
        const stored = await client.headObject(key, { signal: opts.signal });
        if (!stored || stored.size !== size) {
          throw new S3RequestError(500, "SizeMismatch", `[${key}] reads back with size ${stored?.size ?? "none"}, expected ${size}`);
        }
      },
      policy,
      { signal: opts.signal, onRetry: (e, attempt) => log.info(`failed to upload etcd snapshot file: ${messageOf(e)}, retried ${attempt - 1} times`) },
    );
  } catch (e) {
    throw fail(e);
  }
  log.info(`Successfully uploaded [${key}] of size [${size}]`);
  return { key, size, sha256, skipped: false, parts };
}
