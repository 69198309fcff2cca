/**
 * Rolling mode (docs/contract.md §o-7, §d-20): one snapshot per --creation period, the first one period
 * after start, named `<tick as RFC3339 UTC>_etcd`. A tick that comes while a cycle still runs is
 * dropped and the next cycle waits for the next tick (the original named late backups after
 * stale ticks). Errors never stop the loop; the abort signal (SIGTERM) ends it cleanly, the
 * running cycle removing its temporary archive. The cluster state goes into the archive from
 * memory (./statefile.ts).
 */
import type { Deflater } from "../../../archive/deflate.ts";
import { durationToMs, formatDuration } from "../../../time/duration.ts";
import { messageOf } from "../../../errors.ts";
import { cleanStaleTemps, STALE_TEMP_MS } from "../../../fs/atomic.ts";
import { cleanUnheldLocks } from "../../../fs/name-lock.ts";
import { lockSnapshotName } from "./name-lock.ts";
import { GoDuration, type Logger } from "../../../log/logger.ts";
import { retryPolicy, sleep } from "../../../retry/policy.ts";
import { backupOptionsFor, backupTargetFor, backupWithRetries, type BackupResult } from "./attempt.ts";
import { rollingName } from "../../../snapshot/name.ts";
import { cleanRollingBackups } from "./rolling-retention.ts";
import type { SaveSettings } from "./settings.ts";
import { fetchState, type ClusterStateFetcher } from "./statefile.ts";
import type { SnapshotUploader } from "./uploader.ts";

/** Attempts of the cluster-state fetch (the original's kubectl loop: 5, 15 s apart). */
const STATE_ATTEMPTS = 5;

export interface RollingOptions {
  signal: AbortSignal;
  log: Logger;
  fetchState: ClusterStateFetcher;
  upload?: SnapshotUploader;
  deflater?: Deflater;
  now?: () => number;
}

export async function runRolling(settings: SaveSettings, opts: RollingOptions): Promise<void> {
  const { log, signal } = opts;
  const now = opts.now ?? Date.now;
  const periodMs = durationToMs(settings.creation);
  log.info("Initializing Rolling Backups", { creation: formatDuration(settings.creation), retention: formatDuration(settings.retention) });
  await cleanStaleTemps(settings.paths.backup, { olderThanMs: STALE_TEMP_MS });
  // Temporary state files of versions that wrote the state under /etc/kubernetes, killed mid-write.
  await cleanStaleTemps(settings.paths.kubernetes, { olderThanMs: STALE_TEMP_MS });
  cleanUnheldLocks(settings.paths.backup);
  const start = now();
  let k = 1;
  while (!signal.aborted) {
    const tick = start + k * periodMs;
    try {
      await sleep(Math.max(0, tick - now()), signal);
    } catch {
      break;
    }
    await cycle(new Date(tick), settings, opts).catch((e) => {
      if (!signal.aborted) log.warn("Rolling backup cycle failed", { error: messageOf(e) });
    });
    // Skip the ticks a long cycle overran.
    k = Math.max(k + 1, Math.floor((now() - start) / periodMs) + 1);
  }
}

async function cycle(tick: Date, settings: SaveSettings, opts: RollingOptions): Promise<void> {
  const name = rollingName(tick);
  let lock: { release(): void };
  try {
    lock = lockSnapshotName(settings.paths.backup, name, opts.log); // a `save --once` of this very name
  } catch (e) {
    opts.log.warn("Backup failed", { error: messageOf(e), name });
    return;
  }
  try {
    await lockedCycle(name, tick, settings, opts);
  } finally {
    lock.release();
  }
}

async function lockedCycle(name: string, tick: Date, settings: SaveSettings, opts: RollingOptions): Promise<void> {
  const { log, signal } = opts;
  const { backup, kubernetes } = settings.paths;
  const fetched = await fetchState(kubernetes, name, opts.fetchState, {
    signal,
    log,
    retry: retryPolicy({ attempts: STATE_ATTEMPTS, delayMs: settings.retryIntervalMs }),
  });
  let res: BackupResult;
  try {
    res = await backupWithRetries(name, backupTargetFor(settings, { fetched }), backupOptionsFor(settings, { ...opts, log, signal }));
    log.info("Created local backup", { name, runtime: GoDuration.ofMs(res.runtimeMs) });
  } catch (e) {
    if (!signal.aborted) log.warn("Backup failed", { error: messageOf(e), name });
    return;
  }
  const cutoff = tick.getTime() - durationToMs(settings.retention);
  await cleanRollingBackups(backup, cutoff, { log });
  if (opts.upload) {
    await opts.upload.upload({ name, format: settings.archiveFormat, sha256: res.archiveSha256 }, { signal, log });
    await opts.upload.applyRetention(cutoff, { signal, log });
  }
}
