/**
 * The image's own files, per architecture, as a directory tree (dist/rootfs/linux-<arch>/) that
 * package/Dockerfile copies over its base. The layout is data, so the assembler, the tests and the
 * Dockerfile check read the same list.
 *
 * One real file, /opt/rke-tools/rke-etcd-backup; every other name is a symbolic link to it
 * (process.argv0 keeps the link's name, which is how the executable picks the tool). Symlinks, not
 * hard links: a hard link stays one file only if every copier on the way (build context, COPY,
 * layer tar, the VOLUME copy-up) tracks inodes, and each miss costs 110 MB; a symlink is a symlink
 * everywhere. Links inside /opt/rke-tools are relative so they survive the copy-up of the VOLUME and
 * the weave container's mount of that volume over a host /opt bind. /usr/bin links are absolute:
 * /usr/bin is never inside the volume.
 */
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ToolName } from "../src/tools/tool.ts";
import { ROOT, type Arch } from "./build.ts";
import { findGlibc, glibcFiles, LOADER, type Glibc } from "./glibc.ts";
import { LIB_DIR, makeSelfContained, type SelfContained } from "./self-contained.ts";

/** The one real executable; RKE runs it by this path (docs/contract.md §a.4). */
export const EXECUTABLE = "/opt/rke-tools/rke-etcd-backup";

/** Where each tool's name lives in the image, as the original's files did (docs/contract.md §a). */
export const TOOL_DIRS = {
  "rke-etcd-backup": "/opt/rke-tools",
  "entrypoint.sh": "/opt/rke-tools",
  "cloud-provider.sh": "/opt/rke-tools",
  "weave-plugins-cni.sh": "/opt/rke-tools",
  "cert-deployer": "/usr/bin",
  "nginx-proxy": "/usr/bin",
  "share-mnt": "/usr/bin",
} as const satisfies Record<ToolName, string>;

export type Entry =
  | { path: string; type: "dir"; mode: number }
  | { path: string; type: "file"; mode: number; from: "executable" | "glibc" }
  | { path: string; type: "symlink"; target: string };

export function layout(arch: Arch): Entry[] {
  const dirs = ["/opt", "/opt/rke-tools", LIB_DIR, "/usr", "/usr/bin"];
  const entries: Entry[] = dirs.map((path) => ({ path, type: "dir", mode: 0o755 }));
  entries.push({ path: EXECUTABLE, type: "file", mode: 0o755, from: "executable" });
  for (const [name, dir] of Object.entries(TOOL_DIRS)) {
    const path = `${dir}/${name}`;
    if (path === EXECUTABLE) continue;
    const target = dir === dirname(EXECUTABLE) ? EXECUTABLE.slice(dir.length + 1) : EXECUTABLE;
    entries.push({ path, type: "symlink", target });
  }
  const loader = LOADER[arch];
  for (const f of glibcFiles(arch)) {
    // The kernel opens the interpreter like an executable (needs x); libraries need only r.
    entries.push({ path: `${LIB_DIR}/${f}`, type: "file", mode: f === loader ? 0o755 : 0o644, from: "glibc" });
  }
  return entries;
}

export function rootfsDir(arch: Arch): string {
  return join(ROOT, "dist", "rootfs", `linux-${arch}`);
}

export interface Manifest {
  arch: Arch;
  executable: SelfContained & { path: string; sha256: string };
  glibc: { package: string; version: string; from: string; files: Record<string, string> };
  entries: Array<{ path: string; type: string; mode?: string; target?: string }>;
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/**
 * Builds the tree for `arch` in `out` (emptied first) from the compiled executable `binary`, and
 * writes `<out>.manifest.json` beside it (outside the tree, so the image does not carry it).
 */
export function assembleRootfs(arch: Arch, binary: string, out: string = rootfsDir(arch), glibc: Glibc = findGlibc(arch)): Manifest {
  rmSync(out, { recursive: true, force: true });
  const at = (p: string) => join(out, p);
  let executable: SelfContained | undefined;
  const libs: Record<string, string> = {};
  const entries = layout(arch);
  for (const e of entries) {
    if (e.type === "dir") {
      mkdirSync(at(e.path), { recursive: true });
      chmodSync(at(e.path), e.mode);
    } else if (e.type === "symlink") {
      symlinkSync(e.target, at(e.path));
    } else if (e.from === "executable") {
      executable = makeSelfContained(binary, at(e.path), arch);
      chmodSync(at(e.path), e.mode);
    } else {
      const name = e.path.slice(LIB_DIR.length + 1);
      copyFileSync(join(glibc.dir, name), at(e.path)); // follows symlinks: the tree holds real files
      chmodSync(at(e.path), e.mode);
      libs[name] = sha256(at(e.path));
    }
  }
  const manifest: Manifest = {
    arch,
    executable: { ...executable!, path: EXECUTABLE, sha256: sha256(at(EXECUTABLE)) },
    glibc: { package: glibc.pkg, version: glibc.version, from: glibc.dir, files: libs },
    entries: entries.map((e) =>
      e.type === "symlink" ? { path: e.path, type: e.type, target: e.target } : { path: e.path, type: e.type, mode: (statSync(at(e.path)).mode & 0o7777).toString(8) },
    ),
  };
  writeFileSync(`${out}.manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
