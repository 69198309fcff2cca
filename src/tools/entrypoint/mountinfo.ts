/** The mount table as the plan sees it: container paths, in mount order. */
import { parseMountInfo } from "../../sys/index.ts";

export interface MountEntry {
  target: string;
  /** Per-mount options: rw/ro, nosuid, nodev, noexec, relatime, ... */
  options: string[];
  fstype: string;
  /** Filesystem (superblock) options: rw/ro plus the filesystem's own (mode=755, nsdelegate, …). */
  superOptions: string[];
}

/**
 * The entries of /proc/self/mountinfo under `root` with the prefix removed (root is "" in
 * production: every entry). Unreadable text gives an empty table.
 */
export function mountsUnder(mountinfo: string, root: string): MountEntry[] {
  let all: MountEntry[];
  try {
    all = parseMountInfo(mountinfo).map((m) => ({
      target: m.mountPoint,
      options: m.options.split(","),
      fstype: m.fstype,
      superOptions: m.superOptions.split(",").filter(Boolean),
    }));
  } catch {
    return [];
  }
  if (root === "") return all;
  return all.flatMap((e) => (e.target === root ? [{ ...e, target: "/" }] : e.target.startsWith(root + "/") ? [{ ...e, target: e.target.slice(root.length) }] : []));
}
