/**
 * Multipart upload of one file: parts read straight from the file (Bun.file slices, no buffering in
 * JS), several in flight, each retried with backoff on transient failures, then completed — or
 * aborted on any failure so that no orphaned upload keeps billing storage.
 */
import { ErrorCode, RkeToolsError, messageOf } from "../errors.ts";
import { abortError, retry, retryPolicy, type RetryPolicy } from "../retry/policy.ts";
import type { S3Client } from "./client.ts";
import { DEFAULT_STALL, PartWatchdog, type StallPolicy } from "./part-watchdog.ts";
import { S3RequestError, isTransient } from "./s3-error.ts";
import { escapeXml, parseXml, text } from "./xml.ts";

export interface MultipartOptions {
  partSize: number;
  concurrency: number;
  partRetry: RetryPolicy;
  /** Ceiling for one part's request, however steadily it moves. Default `partCeilingMs`. */
  partTimeoutMs?: number;
  /** When a part in flight counts as stalled next to the finished ones (part-watchdog.ts). Default 60 s, 4×. */
  stall?: StallPolicy;
  headers: Record<string, string>;
  signal?: AbortSignal;
  /** Told the size of each part once it is stored (progress lines count finished parts). */
  onPartStored?: (bytes: number) => void;
}

const MIB = 1024 * 1024;

/** S3 allows at most 10 000 parts: grow the part size for very large files. */
export function partSizeFor(size: number, wanted: number): number {
  return Math.max(wanted, Math.ceil(size / 10_000 / MIB) * MIB, 5 * MIB);
}

/**
 * The default part size: about 8 parts, 16–128 MiB each. Every part costs the server work of its
 * own; against the loopback Ceph gateway 16 MiB parts made a 1 GiB upload 0.82× curl's single
 * PUT and 128 MiB parts 0.96–0.97× (docs/decisions.md), while 4 parts in flight still spread a
 * large archive over several connections for a distant S3. At most 128 MiB, so that a failed part
 * is cheap to send again and its time ceiling stays near half an hour.
 */
export function defaultPartSize(size: number): number {
  return Math.min(128 * MIB, Math.max(16 * MIB, Math.ceil(size / 8 / MIB) * MIB));
}

/** Default ceiling for one part's request: 5 min, or as long as the part takes at 64 KiB/s. */
export function partCeilingMs(partSize: number): number {
  return Math.max(5 * 60_000, Math.ceil(partSize / (64 * 1024)) * 1000);
}

export async function multipartUpload(client: S3Client, path: string, key: string, size: number, opts: MultipartOptions): Promise<number> {
  const created = parseXml(await (await client.request("POST", key, { query: { uploads: "" }, headers: opts.headers, signal: opts.signal })).text());
  const uploadId = text(created.InitiateMultipartUploadResult, "UploadId");
  if (!uploadId) throw new RkeToolsError(ErrorCode.S3, `CreateMultipartUpload for ${key} returned no UploadId`);
  const partSize = partSizeFor(size, opts.partSize);
  const count = Math.max(1, Math.ceil(size / partSize));
  const partTimeoutMs = opts.partTimeoutMs ?? partCeilingMs(partSize); // of the part size actually used
  const etags: string[] = new Array(count);
  const failed = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, failed.signal]) : failed.signal;
  const file = Bun.file(path);
  const watchdog = new PartWatchdog(opts.stall ?? DEFAULT_STALL);
  let next = 0;
  const log = client.log;

  const uploadPart = async (n: number) => {
    const start = n * partSize;
    const end = Math.min(size, start + partSize);
    etags[n] = await retry(
      async () => {
        const watch = watchdog.start(end - start);
        let ok = false;
        try {
          const res = await client.request("PUT", key, {
            query: { partNumber: String(n + 1), uploadId },
            headers: { "Content-Length": String(end - start) },
            // A stream with an explicit Content-Length: Bun sends it fixed-length and reads the file as it
            // goes (a Blob slice body is read whole first: 16 MiB per part in flight, measured 130 vs 48 MiB RSS).
            // Not wrapped to watch its progress: piped through a TransformStream it cost 2.7–3.3 s of CPU
            // per GiB instead of 0.9–1.2 s (Bun then feeds the socket from JavaScript).
            body: file.slice(start, end).stream(),
            signal: AbortSignal.any([signal, watch.signal]),
            timeoutMs: partTimeoutMs,
          });
          await res.body?.cancel();
          const etag = res.headers.get("etag");
          if (!etag) throw new S3RequestError(500, "MissingETag", `part ${n + 1} of ${key} was stored without an ETag`);
          ok = true;
          opts.onPartStored?.(end - start);
          return etag;
        } catch (e) {
          // The watchdog's abort is a network failure to retry, not the caller's abort.
          if (watch.stalled && !signal.aborted) throw new RkeToolsError(ErrorCode.Http, `part ${n + 1} of [${key}] ${messageOf(watch.signal.reason)}`, { cause: e });
          throw e;
        } finally {
          watch.end(ok);
        }
      },
      { ...opts.partRetry, retryOn: (e, a) => isTransient(e) && opts.partRetry.retryOn(e, a) },
      { signal, onRetry: (e, attempt, ms) => log.warn(`uploading part ${n + 1}/${count} of [${key}] failed, retrying in ${Math.round(ms)}ms`, { attempt, error: messageOf(e) }) },
    );
  };

  const worker = async () => {
    while (next < count && !signal.aborted) await uploadPart(next++);
  };

  try {
    const workers = Array.from({ length: Math.min(opts.concurrency, count) }, () =>
      worker().catch((e) => {
        // The first failure stops the other workers; their abort echoes are not the cause.
        if (!failed.signal.aborted) failed.abort(e);
      }),
    );
    await Promise.all(workers);
    if (opts.signal?.aborted) throw abortError(opts.signal);
    if (failed.signal.aborted) throw failed.signal.reason;
    const body =
      "<CompleteMultipartUpload>" + etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`).join("") + "</CompleteMultipartUpload>";
    const res = await client.request("POST", key, { query: { uploadId }, headers: { "Content-Type": "application/xml" }, body, signal: opts.signal, timeoutMs: 10 * 60_000 });
    const answer = await res.text();
    // S3 may answer 200 and still fail the completion, with an <Error> body.
    if (answer.includes("<Error>")) {
      const err = parseXml(answer).Error;
      throw new S3RequestError(500, text(err, "Code") || "InternalError", text(err, "Message") || "CompleteMultipartUpload failed");
    }
    return count;
  } catch (e) {
    await abortUpload(client, key, uploadId);
    throw e;
  } finally {
    watchdog.stop();
  }
}

/** AbortMultipartUpload, with its own short budget (the caller's signal may be what fired). */
async function abortUpload(client: S3Client, key: string, uploadId: string): Promise<void> {
  try {
    await retry(
      async () => {
        const res = await client.request("DELETE", key, { query: { uploadId }, accept: [404], timeoutMs: 30_000 });
        await res.body?.cancel();
      },
      retryPolicy({ attempts: 3, delayMs: 500, factor: 2, retryOn: isTransient }),
    );
    client.log.info(`aborted multipart upload of [${key}]`);
  } catch (e) {
    client.log.warn(`could not abort multipart upload of [${key}]; the bucket keeps its parts until a lifecycle rule removes them`, { error: messageOf(e), uploadId });
  }
}
