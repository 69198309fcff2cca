/**
 * getxattr(2)/setxattr(2), for carrying a file's POSIX ACL (`system.posix_acl_access`) over to its
 * atomically written replacement, as an in-place rewrite would have kept it.
 */
import { ErrorCode } from "../errors.ts";
import { cstring } from "./cstr.ts";
import { SysError } from "./errors.ts";
import { errno, lib } from "./libc.ts";

export const ACL_ACCESS = "system.posix_acl_access";
const ENODATA = 61;
const EOPNOTSUPP = 95;
const ERANGE = 34;

export interface XattrOptions {
  /** Act on a symbolic link itself, not on what it points to (lgetxattr/lsetxattr). */
  noFollow?: boolean;
}

/** The attribute's bytes, or undefined when the file has none (or the filesystem has no xattrs). */
export function getxattr(path: string, name: string, opts: XattrOptions = {}): Uint8Array | undefined {
  const p = cstring(path, "path");
  const n = cstring(name, "attribute name");
  const call = opts.noFollow ? lib().lgetxattr : lib().getxattr;
  for (let size = 256; ; size *= 4) {
    const buf = new Uint8Array(size);
    const len = Number(call(p, n, buf, BigInt(size)));
    if (len >= 0) return buf.slice(0, len);
    const e = errno();
    if (e === ENODATA || e === EOPNOTSUPP) return undefined;
    if (e !== ERANGE || size > 1 << 20) throw new SysError(ErrorCode.Io, `read ${name} of ${path}`, e);
  }
}

export function setxattr(path: string, name: string, value: Uint8Array, opts: XattrOptions = {}): void {
  const call = opts.noFollow ? lib().lsetxattr : lib().setxattr;
  const rc = call(cstring(path, "path"), cstring(name, "attribute name"), value, BigInt(value.byteLength), 0);
  if (rc !== 0) throw new SysError(ErrorCode.Io, `set ${name} on ${path}`, errno());
}
