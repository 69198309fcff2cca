/**
 * `chcon -Rt <type> <path>` without chcon: the SELinux context lives in the `security.selinux`
 * extended attribute as `user:role:type[:level]`; only the type changes. Like chcon -R (which
 * does not follow symbolic links), links are relabelled themselves (l*xattr). Bun has no xattr
 * API, so two libc calls through bun:ffi.
 */
import { dlopen, ptr } from "bun:ffi";
import { readdir, lstat } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { cstring } from "../../sys/cstr.ts";
import { SysError } from "../../sys/errors.ts";
import { errno } from "../../sys/libc.ts";

const SYMBOLS = {
  lgetxattr: { args: ["ptr", "ptr", "ptr", "u64"], returns: "i64" },
  lsetxattr: { args: ["ptr", "ptr", "ptr", "u64", "i32"], returns: "i32" },
} as const;
let xattr: ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"] | undefined;
const lib = () => (xattr ??= dlopen("libc.so.6", SYMBOLS).symbols);

const NAME = cstring("security.selinux", "attribute name");
const ENODATA = 61;

export function getContext(path: string): string | undefined {
  const buf = new Uint8Array(4096);
  const n = Number(lib().lgetxattr(cstring(path, "path"), NAME, ptr(buf), BigInt(buf.length)));
  if (n < 0) {
    const e = errno();
    if (e === ENODATA) return undefined;
    throw new SysError(ErrorCode.Io, `read the SELinux label of ${path}`, e);
  }
  return new TextDecoder().decode(buf.subarray(0, n)).replace(/\0+$/, "");
}

export function setContext(path: string, context: string): void {
  const value = cstring(context, "SELinux context");
  if (lib().lsetxattr(cstring(path, "path"), NAME, value, BigInt(value.length), 0) !== 0) throw new SysError(ErrorCode.Io, `set the SELinux label of ${path}`, errno());
}

/** The context with its type replaced; undefined for text that is not a context. */
export function withType(context: string, type: string): string | undefined {
  const f = context.split(":");
  if (f.length < 3) return undefined;
  f[2] = type;
  return f.join(":");
}

/** Relabels `root` and everything below it; returns how many were changed. Throws after the walk if any failed. */
export async function relabelTree(root: string, type: string): Promise<number> {
  let changed = 0;
  const failed: string[] = [];
  const visit = async (path: string): Promise<void> => {
    try {
      const ctx = getContext(path);
      const next = ctx === undefined ? undefined : withType(ctx, type);
      if (next === undefined) failed.push(`${path}: no SELinux label to change`);
      else if (next !== ctx) {
        setContext(path, next);
        changed++;
      }
    } catch (e) {
      failed.push((e as Error).message);
    }
    if ((await lstat(path)).isDirectory()) for (const n of await readdir(path)) await visit(join(path, n));
  };
  await visit(root);
  if (failed.length > 0) throw new RkeToolsError(ErrorCode.Io, `Cannot relabel ${failed.length} of the files under ${root}: ${failed[0]}`);
  return changed;
}
