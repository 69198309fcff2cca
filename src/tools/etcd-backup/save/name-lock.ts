/**
 * A save holds its snapshot name for its whole run (archive, upload, clean-up): a second save of
 * the same name, here or in another container on the same /backup, fails at once, touching
 * nothing (issue 19.5; before, each deleted the other's temporary archive).
 */
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import { lockPathFor, NameLock } from "../../../fs/name-lock.ts";
import type { Logger } from "../../../log/logger.ts";
import { SysError } from "../../../sys/errors.ts";

/** A filesystem without locks (an NFS mount with `nolock` and no lockd): save unlocked, as before. */
const NO_LOCKS = new Set(["ENOLCK", "EOPNOTSUPP", "ENOSYS", "EINVAL"]);

export function lockSnapshotName(backupDir: string, name: string, log: Logger): { release(): void } {
  let lock: NameLock | undefined;
  try {
    lock = NameLock.tryAcquire(lockPathFor(backupDir, name));
  } catch (e) {
    if (e instanceof SysError && NO_LOCKS.has(e.errnoName)) {
      log.warn("Saving without the snapshot name lock", { error: e.message, name });
      return { release() {} };
    }
    // The folder is what the operator knows; the lock file's name is ours.
    const code = e instanceof SysError ? e.errnoName : (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "ENOTDIR"
          ? "is not a directory"
          : code === "EACCES" || code === "EPERM" || code === "EROFS"
            ? `is not writable (${code})`
            : `cannot be written (${code ?? (e as Error).message})`;
    throw new RkeToolsError(ErrorCode.Io, `Cannot save snapshot ${name}: backup folder ${backupDir} ${why}`, { cause: e, operation: `save snapshot ${name}` });
  }
  if (!lock) throw new RkeToolsError(ErrorCode.Busy, `Cannot save snapshot ${name}: another save of this name is running on ${backupDir}`, { operation: `save snapshot ${name}` });
  return lock;
}
