/**
 * `save --once` (docs/contract.md §o-6): the backup with its attempts, the state file RKE left removed, the
 * upload when asked, then the clean-up of this Rancher cluster's old recurring snapshots.
 */
import { basename } from "node:path";
import type { Deflater } from "../../../archive/deflate.ts";
import { durationToMs } from "../../../time/duration.ts";
import { GoDuration, type Logger } from "../../../log/logger.ts";
import { backupOptionsFor, backupTargetFor, backupWithRetries, type BackupResult } from "./attempt.ts";
import { cleanNamedBackups } from "./named-retention.ts";
import type { SaveSettings } from "./settings.ts";
import { removeStateFile } from "./statefile.ts";
import type { SnapshotUploader } from "./uploader.ts";
import { archiveFileNames } from "../../../snapshot/layout.ts";
import { cleanStaleTemps, STALE_TEMP_MS } from "../../../fs/atomic.ts";
import { cleanUnheldLocks } from "../../../fs/name-lock.ts";
import { lockSnapshotName } from "./name-lock.ts";

export interface SaveOnceOptions {
  signal?: AbortSignal;
  log: Logger;
  upload?: SnapshotUploader;
  deflater?: Deflater;
}

export async function saveOnce(name: string, settings: SaveSettings, opts: SaveOnceOptions): Promise<BackupResult> {
  const { log, signal } = opts;
  log.info("Initializing Onetime Backup", { name });
  const lock = lockSnapshotName(settings.paths.backup, name, log);
  try {
    // With the name locked, a temporary archive of this name is a killed run's; others' are
    // removed only when stale, as rolling mode may be writing one.
    for (const file of archiveFileNames(name)) await cleanStaleTemps(settings.paths.backup, { of: file });
    await cleanStaleTemps(settings.paths.backup, { olderThanMs: STALE_TEMP_MS });
    cleanUnheldLocks(settings.paths.backup);
    const target = backupTargetFor(settings, { kubernetesDir: settings.paths.kubernetes });
    const res = await backupWithRetries(name, target, backupOptionsFor(settings, opts));
    await removeStateFile(res.statePath, log);
    log.info("Created local backup", { name, runtime: GoDuration.ofMs(res.runtimeMs) });
    if (opts.upload) await opts.upload.upload({ name, format: settings.archiveFormat, sha256: res.archiveSha256 }, { signal, log });
    await cleanNamedBackups(settings.paths.backup, name, { log, retentionMs: durationToMs(settings.retention), keep: [basename(res.archiveFile)] });
    return res;
  } finally {
    lock.release();
  }
}
