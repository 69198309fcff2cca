/**
 * Makes mount points shared, recursively (`mount --make-rshared`), through mount(2). Kept from the
 * boot2docker era (rancher/rancher#12687); nothing in RKE calls it any more (docs/contract.md §a.6).
 */
import { realpathSync } from "node:fs";
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";
import { mount, mountAt, MS_REC, MS_SHARED, readMountInfo } from "../../sys/index.ts";

/** Shares each path; returns one problem line per path that could not be shared. */
export function shareMounts(paths: readonly string[], opts: { log?: Logger; mountinfo?: string } = {}): string[] {
  const log = opts.log ?? silentLogger;
  const problems: string[] = [];
  const mounts = readMountInfo(opts.mountinfo);
  for (const path of paths) {
    try {
      let real: string;
      try {
        real = realpathSync(path);
      } catch (e) {
        throw new RkeToolsError(ErrorCode.NotFound, `Cannot share ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message}`);
      }
      if (!mountAt(mounts, real)) {
        throw new RkeToolsError(ErrorCode.InvalidInput, `Cannot share ${path}: not a mount point (bind-mount it onto itself first: mount --bind ${real} ${real})`);
      }
      mount(null, real, null, MS_SHARED | MS_REC);
      log.info(`Made ${real} shared (recursively)`);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return problems;
}
