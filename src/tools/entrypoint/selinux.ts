/**
 * `chcon -Rt <type> <path>` without chcon: the SELinux context lives in the `security.selinux`
 * extended attribute as `user:role:type[:level]`; only the type changes. Like chcon -R (which
 * does not follow symbolic links), links are relabelled themselves (l*xattr). The xattr calls
 * are src/sys's (bun:ffi).
 */
import { readdir, lstat } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { cstring } from "../../sys/cstr.ts";
import { getxattr, setxattr } from "../../sys/index.ts";

const NAME = "security.selinux";

export function getContext(path: string): string | undefined {
  const value = getxattr(path, NAME, { noFollow: true });
  return value === undefined ? undefined : new TextDecoder().decode(value).replace(/\0+$/, "");
}

export function setContext(path: string, context: string): void {
  // NUL-terminated, as libselinux stores contexts.
  setxattr(path, NAME, cstring(context, "SELinux context"), { noFollow: true });
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
