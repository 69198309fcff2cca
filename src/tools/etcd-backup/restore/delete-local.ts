/**
 * Local half of `delete` (docs/contract.md §o-11). Without cleanup: remove `<name>.zip`, then `<name>`,
 * logging each as the original does even when the file was not there. With cleanup: remove only
 * the uncompressed `<name>`, and only when `<name>.zip` exists (RKE runs this after a restore).
 * Never touches S3 (docs/contract.md §d-18b): the S3 half is the caller's, and never runs with cleanup.
 */
import { promises as fsp, existsSync } from "node:fs";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import type { Paths } from "../../../fs/paths.ts";
import { GoDuration, silentLogger, type Logger } from "../../../log/logger.ts";
import { archivePath, archivePaths, rawPath } from "../../../snapshot/layout.ts";

export interface DeleteLocalOptions {
  paths: Paths;
  cleanup?: boolean;
  log?: Logger;
}

/** Returns the paths it removed or found absent (in order). */
export async function deleteLocal(name: string, opts: DeleteLocalOptions): Promise<string[]> {
  const log = opts.log ?? silentLogger;
  const zip = archivePath(opts.paths.backup, name);
  const raw = rawPath(opts.paths.backup, name);
  const archives = archivePaths(opts.paths.backup, name); // the zip, and the tar formats (docs/archive-formats.md)
  if (opts.cleanup && !archives.some((p) => existsSync(p))) return []; // nothing to clean: the raw file is the only copy
  // The zip and the raw file are logged even when absent, as by the original; the tar formats when present.
  const targets = opts.cleanup ? [raw] : [zip, ...archives.filter((p) => p !== zip && existsSync(p)), raw];
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
