/**
 * The image trees for the package tests, assembled on first use into a temp dir (never into
 * dist/rootfs, which `npm run package` owns): x64 from the executable test/run.ts built, arm64 from
 * a fresh arm64 build. Each test file calls releaseTrees() in its afterAll: ~230 MB per run.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryPath, build, type Arch } from "../../compile/build.ts";
import { GLIBC_DIRS, glibcFiles } from "../../compile/glibc.ts";
import { assembleRootfs, type Manifest } from "../../compile/rootfs.ts";
import { component, hasCommand } from "../support/components.ts";

export const tools = {
  patchelf: hasCommand("patchelf", "apt-get install patchelf"),
  readelf: hasCommand("readelf", "apt-get install binutils"),
  unshare: hasCommand("unshare", "apt-get install util-linux"),
  qemu: hasCommand("qemu-aarch64", "apt-get install qemu-user"),
  openssl: hasCommand("openssl", "apt-get install openssl"),
};

export function glibcFor(arch: Arch) {
  const hint = arch === "arm64" ? "apt-get install libc6-arm64-cross" : "apt-get install libc6";
  return component(`glibc-${arch}`, () =>
    GLIBC_DIRS[arch].some((d) => glibcFiles(arch).every((f) => existsSync(join(d, f)))) ? undefined : `no glibc for linux-${arch} (${hint})`,
  );
}

let base: string | undefined;
const trees = new Map<Arch, { root: string; manifest: Manifest; binary: string }>();

export function tree(arch: Arch): { root: string; manifest: Manifest; binary: string } {
  const have = trees.get(arch);
  if (have) return have;
  base ??= mkdtempSync(join(tmpdir(), "rke-package-"));
  const binary = binaryPath(arch);
  if (arch !== "x64" || !existsSync(binary)) build(arch); // test/run.ts builds x64 only
  const root = join(base, `linux-${arch}`);
  const manifest = assembleRootfs(arch, binary, root);
  const t = { root, manifest, binary };
  trees.set(arch, t);
  return t;
}

/** Removes the trees (a test file's afterAll); the next tree() call assembles them again. */
export function releaseTrees(): void {
  if (base) rmSync(base, { recursive: true, force: true });
  base = undefined;
  trees.clear();
}
