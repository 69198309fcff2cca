/**
 * One backup, with the original's attempts (1 + --backup-retries, 15 s apart): health of every
 * endpoint (`etcdctl endpoint health`), then the snapshot of the first one streamed into the zip.
 * Each failed attempt logs the original's warning; the last error is thrown.
 */
import type { Deflater } from "../../../archive/deflate.ts";
import { ErrorCode, RkeToolsError, isRkeToolsError, messageOf, cannot, names } from "../../../errors.ts";
import { EtcdClient } from "../../../etcd/client.ts";
import type { Endpoint } from "../../../etcd/endpoints.ts";
import { checkHealth, UnhealthyError } from "../../../etcd/health.ts";
import { snapshot, type SnapshotInfo } from "../../../etcd/snapshot.ts";
import type { Logger } from "../../../log/logger.ts";
import { Progress, type ProgressPolicy } from "../../../log/progress.ts";
import { retry, type RetryPolicy } from "../../../retry/policy.ts";
import type { TlsFiles } from "../../../tls/pem.ts";
import type { ArchiveFormat } from "../../../archive/format.ts";
import { checkTarget, fetchedState, readStateFile, removeStaleRaw, writeArchive, type ArchiveResult, type StateFile } from "./archive.ts";

export interface BackupTarget {
  endpoints: Endpoint[];
  tls: TlsFiles;
  backupDir: string;
  /**
   * Where the state entry comes from: the file RKE left in this folder (`save --once`, docs/contract.md
   * §b-4), or the cluster state rolling mode fetched, kept in memory (none when the fetch failed):
   * it never touches the disk.
   */
  state: { kubernetesDir: string } | { fetched?: Uint8Array };
  /** `--archive-format`; default zip (docs/archive-formats.md). */
  format?: ArchiveFormat;
}

export interface BackupOptions {
  signal?: AbortSignal;
  retry: RetryPolicy;
  log: Logger;
  deflater?: Deflater;
  /** Hash the archive as it is written (when it is going to be uploaded). */
  hashArchive?: boolean;
  /** Log the snapshot's progress at this pace (src/log/progress.ts); none when undefined. */
  progress?: ProgressPolicy;
}

/** What both save modes pass: the settings' retry and progress pace, the caller's signal, log and deflater. */
/** The target of one save from its settings; once and rolling differ only in where the state entry comes from. */
export function backupTargetFor(
  settings: { endpoints: Endpoint[]; tls: TlsFiles; paths: { backup: string }; archiveFormat?: ArchiveFormat },
  state: BackupTarget["state"],
): BackupTarget {
  return { endpoints: settings.endpoints, tls: settings.tls, backupDir: settings.paths.backup, state, format: settings.archiveFormat };
}

export function backupOptionsFor(
  settings: { retry: RetryPolicy; progress?: ProgressPolicy },
  opts: { signal?: AbortSignal; log: Logger; deflater?: Deflater; upload?: unknown },
): BackupOptions {
  // The archive is hashed as it is written only when it will be uploaded (the upload stores the digest).
  return { signal: opts.signal, log: opts.log, retry: settings.retry, deflater: opts.deflater, hashArchive: opts.upload !== undefined, progress: settings.progress };
}

export interface BackupResult extends ArchiveResult {
  /** The state file RKE left that went into the archive (the caller removes it). */
  statePath?: string;
  runtimeMs: number;
}

/** Errors of configuration are final; everything else (etcd, disk) is worth another attempt. */
function retryable(e: unknown): boolean {
  return !(isRkeToolsError(e) && [ErrorCode.Aborted, ErrorCode.Usage, ErrorCode.InvalidInput, ErrorCode.Tls].includes(e.code as never));
}

export async function backupWithRetries(name: string, target: BackupTarget, opts: BackupOptions): Promise<BackupResult> {
  const policy: RetryPolicy = { ...opts.retry, retryOn: (e, n) => retryable(e) && opts.retry.retryOn(e, n) };
  try {
    return await retry((attempt) => backupOnce(name, target, attempt, opts), policy, { signal: opts.signal });
  } catch (e) {
    const operation = `save snapshot ${name}`;
    if (opts.signal?.aborted) throw new RkeToolsError(ErrorCode.Aborted, `Cannot ${operation}: aborted`, { cause: e, operation });
    if (names(e, operation)) throw e;
    throw cannot(isRkeToolsError(e) ? e.code : ErrorCode.Etcd, operation, e);
  }
}

/** The state entry, refused over the readers' limit before the snapshot is taken (src/archive/limits.ts). */
async function stateEntry(from: BackupTarget["state"], name: string): Promise<StateFile | undefined> {
  if ("kubernetesDir" in from) return readStateFile(from.kubernetesDir, name);
  return from.fetched && fetchedState(from.fetched);
}

async function backupOnce(name: string, target: BackupTarget, attempt: number, opts: BackupOptions): Promise<BackupResult> {
  const { log, signal } = opts;
  const started = performance.now();
  const archiveFile = await checkTarget(target.backupDir, name, target.format);
  const state = await stateEntry(target.state, name);
  const clients = target.endpoints.map((ep) => EtcdClient.connect(ep, target.tls));
  let progress: Progress | undefined;
  try {
    const health = await Promise.all(clients.map((c) => checkHealth(c, { signal })));
    const bad = health.filter((h) => !h.healthy);
    if (bad.length > 0) {
      const data = health.map((h) => h.line).join("\n") + "\nError: unhealthy cluster\n";
      log.warn("Checking member health failed from etcd member", { data, error: "unhealthy cluster" });
      throw new UnhealthyError(bad.map((h) => h.line));
    }
    const info: Partial<SnapshotInfo> = {};
    try {
      // etcd announces the size with its first message, so the line can say how far along it is.
      progress = opts.progress && Progress.start({ log, msg: "Saving snapshot", fields: { name }, total: () => info.expectedBytes, policy: opts.progress });
      const stream = snapshot(clients[0]!, { signal, info });
      const res = await writeArchive(
        archiveFile,
        { name, snapshot: progress ? progress.count(stream) : stream, info, state, format: target.format },
        { deflater: opts.deflater, hashArchive: opts.hashArchive, signal },
      );
      await removeStaleRaw(target.backupDir, name, log);
      return { ...res, statePath: state?.path, runtimeMs: performance.now() - started };
    } catch (e) {
      signal?.throwIfAborted();
      const msg = messageOf(e);
      if (isRkeToolsError(e, ErrorCode.Etcd)) log.warn("Backup failed", { attempt, data: msg, error: msg });
      else log.warn("Compressing backup failed", { attempt, data: msg, error: msg });
      throw e;
    }
  } finally {
    progress?.stop();
    for (const c of clients) c.close();
  }
}
