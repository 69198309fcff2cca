/**
 * /proc/self/mountinfo (proc(5)): which paths are mount points and how they propagate. Used by
 * share-mnt and by the entrypoint's unmount of sub-mounts.
 */
import { readFileSync } from "node:fs";
import { ErrorCode, RkeToolsError } from "../errors.ts";

export interface MountInfo {
  id: number;
  parentId: number;
  /** major:minor */
  device: string;
  /** Root of the mount within its filesystem. */
  root: string;
  mountPoint: string;
  options: string;
  /** Optional fields: `shared:N`, `master:N`, `propagate_from:N`, `unbindable`. */
  optional: string[];
  fstype: string;
  source: string;
  superOptions: string;
}

/** Octal escapes the kernel uses for space, tab, newline and backslash in paths. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const f = line.split(" ");
    const sep = f.indexOf("-", 6);
    if (sep < 0 || f.length < sep + 3) throw new RkeToolsError(ErrorCode.Io, `Cannot parse /proc/self/mountinfo line: ${line}`);
    out.push({
      id: Number(f[0]),
      parentId: Number(f[1]),
      device: f[2]!,
      root: unescape(f[3]!),
      mountPoint: unescape(f[4]!),
      options: f[5]!,
      optional: f.slice(6, sep),
      fstype: f[sep + 1]!,
      source: unescape(f[sep + 2]!),
      superOptions: f[sep + 3] ?? "",
    });
  }
  return out;
}

export function readMountInfo(path = "/proc/self/mountinfo"): MountInfo[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new RkeToolsError(ErrorCode.Io, `Cannot read ${path}: ${(e as Error).message} (is /proc mounted?)`, { cause: e });
  }
  return parseMountInfo(text);
}

/** The mount visible at `path` (the last one mounted there wins), if `path` is a mount point. */
export function mountAt(mounts: MountInfo[], path: string): MountInfo | undefined {
  let found: MountInfo | undefined;
  for (const m of mounts) if (m.mountPoint === path) found = m;
  return found;
}

export type Propagation = "shared" | "slave" | "private" | "unbindable";

export function propagationOf(m: MountInfo): Propagation {
  if (m.optional.some((o) => o.startsWith("shared:"))) return "shared";
  if (m.optional.some((o) => o.startsWith("master:"))) return "slave";
  if (m.optional.includes("unbindable")) return "unbindable";
  return "private";
}
