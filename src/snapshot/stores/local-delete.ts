/**
 * The backup folder's half of `delete` (docs/contract.md §o-11). Without cleanup: remove `<name>.zip`, then `<name>`,
 * logging each as the original does even when the file was not there. With cleanup: remove only
 * the uncompressed `<name>`, and only when `<name>.zip` exists (RKE runs this after a restore).
 * Never touches S3 (docs/contract.md §d-18b): the S3 half is the caller's, and never runs with cleanup.
 * The tar formats' archives (`<name>.tar.gz`, `.tar.zst`) count only when their content proves
 * them a snapshot archive of that name, and RKE's own files are out of reach (§b-2): `--name
 * pki.bundle` must not delete RKE's `pki.bundle.tar.gz` (#19 item 3).
 */
import { promises as fsp, existsSync } from "node:fs";
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { GoDuration, silentLogger, type Logger } from "../../log/logger.ts";
import { archivePath, archivePaths, NOT_SNAPSHOTS, rawPath } from "../layout.ts";
import { isSnapshotArchiveOf } from "../probe.ts";

export interface DeleteLocalOptions {
  backupDir: string;
  cleanup?: boolean;
  log?: Logger;
}

/** Returns the paths it removed or found absent (in order). */
export async function deleteLocal(name: string, opts: DeleteLocalOptions): Promise<string[]> {
  const log = opts.log ?? silentLogger;
  const zip = archivePath(opts.backupDir, name);
  const raw = rawPath(opts.backupDir, name);
  if (NOT_SNAPSHOTS.has(name)) throw new RkeToolsError(ErrorCode.InvalidInput, `Cannot delete ${raw}: it is RKE's own file, not a snapshot`);
  const tars: string[] = [];
  for (const p of archivePaths(opts.backupDir, name)) {
    if (p === zip || !existsSync(p)) continue;
    if (await isSnapshotArchiveOf(p, name)) tars.push(p);
    else if (!opts.cleanup) log.warn("Kept a file that is not a snapshot archive", { name: p, snapshot: name });
  }
  if (opts.cleanup && !existsSync(zip) && tars.length === 0) return []; // nothing to clean: the raw file is the only copy
  // The zip and the raw file are logged even when absent, as by the original; the tar formats when present.
  const targets = opts.cleanup ? [raw] : [zip, ...tars, raw];
  for (const path of targets) {
    const start = performance.now();
    try {
      await fsp.unlink(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") {
        const why = code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (e as Error).message;
        log.warn("Delete local backup failed", { error: why, name: path });
        throw new RkeToolsError(ErrorCode.Io, `Cannot delete ${path}: ${why}`, { cause: e });
      }
    }
    log.info("Deleted local backup", { name: path, runtime: GoDuration.sinceMs(start) });
  }
  return targets;
}
