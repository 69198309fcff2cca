/**
 * What a snapshot is in a bucket (docs/contract.md §a.4, §d-13, §d-18a): the keys
 * `[folder/]<name>` and `[folder/]<name>.zip` (and `.tar.gz`, `.tar.zst`: docs/archive-formats.md),
 * found by listing so that URL-encoded keys (GCS) match too. src/s3 moves the bytes; this file
 * knows the names.
 */
import { ErrorCode, RkeToolsError, messageOf } from "../../errors.ts";
import { silentLogger, type Logger } from "../../log/logger.ts";
import type { S3Client } from "../../s3/client.ts";
import { downloadObject, type DownloadOptions } from "../../s3/download.ts";
import { keysAmong } from "../../s3/keys.ts";
import { uploadFile, type UploadOptions, type UploadResult } from "../../s3/upload.ts";
import { archiveFileNames, parseArchiveFileName, s3Key } from "../layout.ts";

/** The listing prefix of `name` and the keys that are its copies. */
function keysOf(folder: string, name: string): { prefix: string; wanted: Set<string> } {
  const prefix = s3Key(folder, name);
  return { prefix, wanted: new Set([prefix, ...archiveFileNames(prefix)]) };
}

/** The key to download for `name`, as the original matches it (the first listed); undefined when none. */
export async function findSnapshotKey(client: S3Client, name: string, opts: { log?: Logger; signal?: AbortSignal } = {}): Promise<string | undefined> {
  const { prefix, wanted } = keysOf(client.config.folder, name);
  for await (const key of keysAmong(client, prefix, wanted, opts)) return key;
  return undefined;
}

/** Downloads the snapshot `name` into `backupDir` under its key's last part; returns that path. */
export async function downloadSnapshot(client: S3Client, name: string, backupDir: string, opts: DownloadOptions = {}): Promise<string> {
  const log = opts.log ?? client.log ?? silentLogger;
  if (name === "") throw new RkeToolsError(ErrorCode.InvalidInput, "empty backup name");
  const key = await findSnapshotKey(client, name, { log, signal: opts.signal });
  if (key === undefined) throw new RkeToolsError(ErrorCode.S3, "failed to download s3 backup: no backups found");
  return downloadObject(client, key, backupDir, { name, ...opts });
}

/**
 * `delete --s3-backup`: removes exactly the keys of `name`. The original removed every key starting
 * with the name, so deleting `snap1` also deleted `snap10.zip` (docs/contract.md §d-18a, §o-14.6);
 * RKE cannot tell the difference. Returns the keys removed (possibly none).
 */
export async function deleteSnapshot(client: S3Client, name: string, opts: { log?: Logger; signal?: AbortSignal } = {}): Promise<string[]> {
  const log = opts.log ?? client.log ?? silentLogger;
  const { prefix, wanted } = keysOf(client.config.folder, name);
  const matches: string[] = [];
  try {
    for await (const key of keysAmong(client, prefix, wanted, { signal: opts.signal })) matches.push(key);
  } catch (e) {
    log.error(`failed to list objects in backup buckets [${client.bucket}]: ${messageOf(e)}`);
    throw e;
  }
  const removed: string[] = [];
  for (const key of matches) {
    log.info(`deleting object with key: ${key} that matches prefix: ${prefix}`);
    await client.deleteObject(key, { signal: opts.signal });
    removed.push(key);
  }
  log.info(`removed backups: ${removed.join(", ")} from object store`);
  return removed;
}

/** Uploads an archive to `key`; the log names the snapshot the key's last part carries (layout.ts) unless told. */
export function uploadSnapshot(client: S3Client, archivePath: string, key: string, opts: UploadOptions = {}): Promise<UploadResult> {
  const base = key.slice(key.lastIndexOf("/") + 1);
  return uploadFile(client, archivePath, key, { ...opts, name: opts.name ?? parseArchiveFileName(base)?.name ?? base });
}
