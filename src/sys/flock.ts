/**
 * flock(2), which Bun has no API for: an advisory whole-file lock held by an open descriptor and
 * dropped by the kernel when its holder dies, so no stale lock survives a `kill -9`. It works
 * across the containers that share a bind-mounted folder (RKE's `/backup`), where PIDs do not.
 */
import { ErrorCode } from "../errors.ts";
import { SysError } from "./errors.ts";
import { errno, lib } from "./libc.ts";

const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;
const EINTR = 4;

/** An exclusive lock on `fd`, without waiting: true when taken, false when another holds it. */
export function tryLockExclusive(fd: number, path: string): boolean {
  for (;;) {
    if (lib().flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
    const e = errno();
    if (e === EWOULDBLOCK) return false;
    if (e !== EINTR) throw new SysError(ErrorCode.Io, `lock ${path}`, e);
  }
}
