/**
 * Rolling-mode clean-up (docs/contract.md §o-7.3, §d-19): every file in /backup whose name up to the
 * first `_` parses as RFC3339 and is before tick − retention is deleted (zips, raw snapshots,
 * stale `.part` files, any zone). Others only warn, as the original does on every tick. Our own
 * temporary files are not backups and are left to the stale-temp clean-up.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { isTempName } from "../../../fs/atomic.ts";
import { GoDuration, type Logger } from "../../../log/logger.ts";
import { rollingTimeOf } from "../../../snapshot/name.ts";

export async function cleanRollingBackups(backupDir: string, cutoffMs: number, opts: { log: Logger }): Promise<string[]> {
  const deleted: string[] = [];
  const entries = (await fsp.readdir(backupDir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (isTempName(e.name)) continue;
    if (e.isDirectory()) {
      opts.log.warn("Ignored directory, expecting file", { name: e.name });
      continue;
    }
    const t = rollingTimeOf(e.name);
    if (t instanceof Error) {
      opts.log.warn("Couldn't parse backup", { error: t.message, name: e.name });
      continue;
    }
    if (t >= cutoffMs) continue;
    const started = performance.now();
    try {
      await fsp.rm(join(backupDir, e.name), { force: true });
      deleted.push(e.name);
      opts.log.info("Deleted local backup", { name: e.name, runtime: GoDuration.sinceMs(started) });
    } catch (err) {
      opts.log.warn("Delete local backup failed", { error: (err as Error).message, name: e.name });
    }
  }
  return deleted;
}
