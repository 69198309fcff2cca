/**
 * `delete --s3-backup`: removes exactly `[folder/]<name>` and `[folder/]<name>.zip` (and `.tar.gz`, `.tar.zst`). The original
 * removed every key starting with the name, so deleting `snap1` also deleted `snap10.zip` (docs/contract.md
 * §d-18a, §o-14.6); RKE cannot tell the difference. Keys are found by listing, so that
 * URL-encoded keys (GCS) match as they do for download.
 */
import { messageOf } from "../errors.ts";
import { silentLogger, type Logger } from "../log/logger.ts";
import { queryUnescape, type S3Client } from "./client.ts";
import { archiveFileNames, s3Key } from "../snapshot/layout.ts";

export interface DeleteOptions {
  log?: Logger;
  signal?: AbortSignal;
}

/** Returns the keys removed (possibly none). */
export async function deleteSnapshot(client: S3Client, name: string, opts: DeleteOptions = {}): Promise<string[]> {
  const log = opts.log ?? client.log ?? silentLogger;
  const prefix = s3Key(client.config.folder, name);
  const wanted = new Set([prefix, ...archiveFileNames(prefix)]);
  const matches: string[] = [];
  try {
    for await (const obj of client.list(prefix, { signal: opts.signal })) {
      const unescaped = queryUnescape(obj.key);
      if (wanted.has(obj.key)) matches.push(obj.key);
      else if (unescaped !== undefined && wanted.has(unescaped)) matches.push(unescaped);
    }
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
