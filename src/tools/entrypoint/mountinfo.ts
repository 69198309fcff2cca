/** /proc/self/mountinfo (proc(5)): the mount table in mount order, one entry per mount. */

export interface MountEntry {
  /** Mount point, with the kernel's octal escapes (`\040` for a space) decoded. */
  target: string;
  /** Per-mount options: rw/ro, nosuid, nodev, noexec, relatime, ... */
  options: string[];
  fstype: string;
}

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    const sep = f.indexOf("-", 6);
    if (f.length < 10 || sep < 0) continue;
    out.push({ target: unescape(f[4]!), options: f[5]!.split(","), fstype: f[sep + 1]! });
  }
  return out;
}

/**
 * The entries under `root` with the prefix removed, so that the plan sees container paths; with
 * no root (production) every entry.
 */
export function underRoot(entries: MountEntry[], root: string): MountEntry[] {
  if (root === "") return entries;
  return entries.flatMap((e) => (e.target === root ? [{ ...e, target: "/" }] : e.target.startsWith(root + "/") ? [{ ...e, target: e.target.slice(root.length) }] : []));
}
