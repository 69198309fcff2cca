/**
 * Rolling-mode S3 retention (docs/contract.md §a.4, §d-19, §o-12): list the folder recursively (or the
 * bucket root one level deep), keep keys matching `.+_etcd(|.zip)$` (the original's regex, dot
 * unescaped), strip `<folder>/`, parse the part before the first `_` as strict RFC 3339, delete what
 * is older than the cutoff; then abort the multipart uploads a killed upload left open
 * (abortStaleSnapshotUploads). Failures are logged, never thrown: rotation must not stop the loop.
 */
import { messageOf } from "../../errors.ts";
import { silentLogger, type Logger } from "../../log/logger.ts";
import type { S3Client } from "../../s3/client.ts";
import { abortStaleUploads, type StaleUploadOptions } from "../../s3/stale-uploads.ts";
import { formatDuration, type Duration } from "../../time/duration.ts";
import { parseArchiveFileName } from "../layout.ts";
import { isRollingKey, rollingTimeOf } from "../name.ts";

export interface RotateOptions {
  log?: Logger;
  signal?: AbortSignal;
  /** For the log line only (the original logs `retention=`). */
  retention?: Duration;
  /** Open multipart uploads older than this are aborted; default STALE_UPLOAD_AGE_MS (a day). */
  staleUploadAgeMs?: number;
}

/** Returns the keys deleted. */
export async function rotateSnapshots(client: S3Client, cutoff: Date, opts: RotateOptions = {}): Promise<string[]> {
  const log = opts.log ?? client.log ?? silentLogger;
  log.info("Invoking delete s3 backup files", opts.retention === undefined ? {} : { retention: formatDuration(opts.retention) });
  const folder = client.config.folder;
  const doomed: string[] = [];
  try {
    for await (const obj of client.list(folder, { recursive: folder !== "", signal: opts.signal })) {
      if (!isRollingKey(obj.key)) continue;
      let filename = obj.key;
      if (folder !== "") {
        log.debug(`Stripping [${folder}/] from [${filename}]`);
        if (filename.startsWith(`${folder}/`)) filename = filename.slice(folder.length + 1);
      }
      log.debug(`object.Key: [${obj.key}], filename: [${filename}]`);
      const time = rollingTimeOf(filename);
      if (time instanceof Error) {
        log.warn("Couldn't parse s3 backup", { error: time.message, name: filename, objectKey: obj.key });
      } else if (time < cutoff.getTime()) {
        log.debug(`Adding [${obj.key}] to files to delete, backupTime: [${new Date(time).toISOString()}], cutoffTime: [${cutoff.toISOString()}]`);
        doomed.push(obj.key);
      }
    }
  } catch (e) {
    log.error(`error to fetch s3 file: ${messageOf(e)}`);
    await abortStaleSnapshotUploads(client, { log, signal: opts.signal, olderThanMs: opts.staleUploadAgeMs });
    return [];
  }
  log.debug(`Found ${doomed.length} files to delete`);
  const deleted: string[] = [];
  for (const key of doomed) {
    log.info(`Start to delete s3 backup file [${key}]`);
    try {
      await client.deleteObject(key, { signal: opts.signal });
      log.info(`Success delete s3 backup file [${key}]`);
      deleted.push(key);
    } catch (e) {
      log.error(`Error detected during deletion: ${messageOf(e)}`);
    }
  }
  await abortStaleSnapshotUploads(client, { log, signal: opts.signal, olderThanMs: opts.staleUploadAgeMs });
  return deleted;
}

/**
 * A rolling snapshot's key is never uploaded again, so nothing else would ever see its open uploads:
 * those of snapshot archives under the folder initiated more than a day ago are aborted, long enough
 * that a live upload from another etcd node (RKE saves a named snapshot on every etcd node at once)
 * is never touched. Returns the keys whose upload was aborted.
 */
export function abortStaleSnapshotUploads(client: S3Client, opts: StaleUploadOptions = {}): Promise<string[]> {
  return abortStaleUploads(client, client.config.folder, (base) => parseArchiveFileName(base) !== undefined, opts);
}
