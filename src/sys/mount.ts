/**
 * mount(2) and umount2(2). Flag values are the kernel's (linux/mount.h), identical on x86-64 and
 * arm64. Each call returns or throws a SysError (code E_IO) naming the target and errno; EPERM is
 * turned into a hint that privilege is missing.
 */
import { ErrorCode } from "../errors.ts";
import { cstring } from "./cstr.ts";
import { SysError } from "./errors.ts";
import { errno, lib } from "./libc.ts";

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_UNBINDABLE = 0x20000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;

export const MNT_FORCE = 0x1;
export const MNT_DETACH = 0x2;
export const MNT_EXPIRE = 0x4;
export const UMOUNT_NOFOLLOW = 0x8;

/**
 * mount(source, target, fstype, flags, data). `source`/`fstype` may be null (propagation changes
 * and remounts ignore them).
 */
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string): void {
  const rc = lib().mount(
    source === null ? null : cstring(source, "mount source"),
    cstring(target, "mount target"),
    fstype === null ? null : cstring(fstype, "filesystem type"),
    BigInt(flags),
    data === undefined ? null : cstring(data, "mount options"),
  );
  if (rc !== 0) throw failure(`mount ${target}`, errno());
}

/** umount2(target, flags); flags e.g. MNT_DETACH for a lazy unmount. */
export function umount(target: string, flags = 0): void {
  const rc = lib().umount2(cstring(target, "mount target"), flags);
  if (rc !== 0) throw failure(`unmount ${target}`, errno());
}

function failure(what: string, n: number): SysError {
  // The kernel says EPERM both for "not root" and for "no CAP_SYS_ADMIN in this user namespace".
  const hint = n === EPERM ? "needs CAP_SYS_ADMIN (run as root, in a privileged container)" : undefined;
  return new SysError(ErrorCode.Io, what, n, hint);
}

const EPERM = 1;
