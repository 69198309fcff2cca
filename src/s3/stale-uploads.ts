/**
 * Multipart uploads that a killed process left open (kill -9 or a power cut: nothing could send
 * the abort) keep their parts stored, and billed, until a lifecycle rule removes them. This lists
 * them and aborts those under a prefix, of the keys a caller picks, initiated before a cutoff
 * (which ones: snapshot/stores/s3-rotation.ts). Failures are logged, never thrown.
 */
import { messageOf } from "../errors.ts";
import { silentLogger, type Logger } from "../log/logger.ts";
import type { S3Client } from "./client.ts";
import { child, children, parseXml, text } from "./xml.ts";

export const STALE_UPLOAD_AGE_MS = 24 * 60 * 60 * 1000;

export interface OpenUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

/** ListMultipartUploads under `prefix`, all pages. */
export async function* openUploads(client: S3Client, prefix: string, opts: { signal?: AbortSignal } = {}): AsyncGenerator<OpenUpload> {
  let keyMarker = "";
  let idMarker = "";
  for (;;) {
    const query: Record<string, string> = { uploads: "", prefix };
    if (keyMarker) query["key-marker"] = keyMarker;
    if (idMarker) query["upload-id-marker"] = idMarker;
    const res = await client.request("GET", undefined, { query, signal: opts.signal });
    const result = child(parseXml(await res.text()), "ListMultipartUploadsResult");
    for (const u of children(result, "Upload")) {
      yield { key: text(u, "Key"), uploadId: text(u, "UploadId"), initiated: new Date(text(u, "Initiated")) };
    }
    if (text(result, "IsTruncated") !== "true") return;
    keyMarker = text(result, "NextKeyMarker");
    idMarker = text(result, "NextUploadIdMarker");
    if (!keyMarker && !idMarker) return;
  }
}

export interface StaleUploadOptions {
  nowMs?: number;
  /** Default STALE_UPLOAD_AGE_MS (a day). */
  olderThanMs?: number;
  log?: Logger;
  signal?: AbortSignal;
}

/** Aborts the uploads under `<folder>/` (the bucket when ""), whose key's last part `pick` accepts, older than the cutoff; returns their keys. */
export async function abortStaleUploads(client: S3Client, folder: string, pick: (baseName: string) => boolean, opts: StaleUploadOptions = {}): Promise<string[]> {
  const log = opts.log ?? client.log ?? silentLogger;
  const cutoff = (opts.nowMs ?? Date.now()) - (opts.olderThanMs ?? STALE_UPLOAD_AGE_MS);
  const aborted: string[] = [];
  try {
    const stale: OpenUpload[] = [];
    for await (const u of openUploads(client, folder === "" ? "" : `${folder}/`, opts)) {
      const base = u.key.slice(u.key.lastIndexOf("/") + 1);
      if (pick(base) && u.initiated.getTime() < cutoff) stale.push(u);
    }
    for (const u of stale) {
      const res = await client.request("DELETE", u.key, { query: { uploadId: u.uploadId }, accept: [404], signal: opts.signal });
      await res.body?.cancel();
      log.info(`aborted a stale multipart upload of [${u.key}] started ${u.initiated.toISOString()}`);
      aborted.push(u.key);
    }
  } catch (e) {
    log.warn(`could not clean stale multipart uploads: ${messageOf(e)}`);
  }
  return aborted;
}
