/**
 * Thin bindings to libc for what Bun lacks: exec without fork, mount/umount, mountinfo.
 * Every call returns or throws an RkeToolsError (SysError carries errno and its name).
 */
export { execve, execvp, findExecutable, type ExecOptions } from "./exec.ts";
export {
  mount,
  umount,
  MS_RDONLY,
  MS_NOSUID,
  MS_NODEV,
  MS_NOEXEC,
  MS_REMOUNT,
  MS_BIND,
  MS_MOVE,
  MS_REC,
  MS_UNBINDABLE,
  MS_PRIVATE,
  MS_SLAVE,
  MS_SHARED,
  MNT_FORCE,
  MNT_DETACH,
  MNT_EXPIRE,
  UMOUNT_NOFOLLOW,
} from "./mount.ts";
export { readMountInfo, parseMountInfo, mountAt, propagationOf, type MountInfo, type Propagation } from "./mountinfo.ts";
export { SysError, nameOfErrno } from "./errors.ts";
export { getxattr, setxattr, ACL_ACCESS, type XattrOptions } from "./xattr.ts";
