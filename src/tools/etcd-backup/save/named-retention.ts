/**
 * `save --once` clean-up of Rancher's recurring snapshots (docs/contract.md §o-6): after a successful
 * save named `<clusterID>-<r|m><l|s>-…`, delete this cluster's recurring (`r?`) files in /backup
 * whose mtime is older than now − retention. Fixed here (docs/contract.md §o-14.5): the cluster prefix of
 * `c-m-xxxxxxxx` ids is the whole id, not `c-m-`, so other clusters' snapshots are left alone,
 * and a directory in the way is skipped with a warning instead of failing a good save.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { isTempName } from "../../../fs/atomic.ts";
import { GoDuration, type Logger } from "../../../log/logger.ts";
import { clusterPrefix, isRecurringOf } from "../../../snapshot/name.ts";

export interface NamedRetentionOptions {
  log: Logger;
  retentionMs: number;
  nowMs?: number;
  /** Files never to delete (the archive just made). */
  keep?: string[];
}

/** Returns the names deleted. */
export async function cleanNamedBackups(backupDir: string, name: string, opts: NamedRetentionOptions): Promise<string[]> {
  const prefix = clusterPrefix(name);
  if (!prefix) return [];
  const cutoff = (opts.nowMs ?? Date.now()) - opts.retentionMs;
  const deleted: string[] = [];
  const entries = (await fsp.readdir(backupDir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (!isRecurringOf(prefix, e.name) || isTempName(e.name) || opts.keep?.includes(e.name)) continue;
    const path = join(backupDir, e.name);
    const started = performance.now();
    try {
      const st = await fsp.lstat(path);
      if (st.mtimeMs >= cutoff) continue;
      if (st.isDirectory()) {
        opts.log.warn("Delete local backup failed", { error: `${path} is a directory`, name: e.name });
        continue;
      }
      await fsp.rm(path, { force: true });
      deleted.push(e.name);
      opts.log.info("Deleted local backup", { name: e.name, runtime: GoDuration.sinceMs(started) });
    } catch (err) {
      opts.log.warn("Delete local backup failed", { error: (err as Error).message, name: e.name });
    }
  }
  return deleted;
}
