/** The assembled image tree, per architecture: paths, modes, links, and the executable's ELF view. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import type { Arch } from "../../compile/build.ts";
import { LOADER } from "../../compile/glibc.ts";
import { EXECUTABLE, layout, TOOL_DIRS } from "../../compile/rootfs.ts";
import { LIB_DIR } from "../../compile/self-contained.ts";
import { describeWith } from "../support/components.ts";
import { glibcFor, releaseTrees, tools, tree } from "./fixture.ts";
import { view } from "./readelf.ts";

afterAll(releaseTrees);

const MACHINE: Record<Arch, string> = { x64: "Advanced Micro Devices X86-64", arm64: "AArch64" };

/** Every path in the tree, directories included, as absolute image paths. */
function walk(root: string, rel = "/"): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel))) {
    const p = posix.join(rel, name);
    out.push(p);
    if (lstatSync(join(root, p)).isDirectory()) out.push(...walk(root, p));
  }
  return out;
}

/** Follows symlinks as the kernel would inside a chroot at `root`; returns the image path reached. */
function resolveIn(root: string, path: string): string {
  for (let hops = 0; hops < 10; hops++) {
    if (!lstatSync(join(root, path)).isSymbolicLink()) return path;
    const target = readlinkSync(join(root, path));
    path = target.startsWith("/") ? target : posix.join(posix.dirname(path), target);
  }
  throw new Error(`${path}: too many symlinks`);
}

for (const arch of ["x64", "arm64"] as const) {
  describeWith([tools.patchelf, tools.readelf, glibcFor(arch)], `image tree linux-${arch}`, () => {
    beforeAll(() => void tree(arch), 180_000); // build (arm64), copy, patchelf: seconds on a busy machine
    test("holds exactly the layout: paths, types, modes, link targets", () => {
      const { root } = tree(arch);
      const want = layout(arch);
      expect(walk(root).sort()).toEqual(want.map((e) => e.path).sort());
      for (const e of want) {
        const st = lstatSync(join(root, e.path));
        if (e.type === "symlink") {
          expect(st.isSymbolicLink()).toBe(true);
          expect(readlinkSync(join(root, e.path))).toBe(e.target);
        } else {
          expect(e.type === "dir" ? st.isDirectory() : st.isFile()).toBe(true);
          expect((st.mode & 0o7777).toString(8)).toBe(e.mode.toString(8));
        }
      }
    }, 60_000);

    test("every tool name leads to the one executable; links in /opt/rke-tools are relative", () => {
      const { root } = tree(arch);
      expect(lstatSync(join(root, EXECUTABLE)).isFile()).toBe(true);
      for (const [name, dir] of Object.entries(TOOL_DIRS)) {
        const path = `${dir}/${name}`;
        expect(resolveIn(root, path)).toBe(EXECUTABLE);
        if (path !== EXECUTABLE && dir === dirname(EXECUTABLE)) expect(readlinkSync(join(root, path))).not.toStartWith("/");
      }
      // the names RKE and the weave DaemonSet invoke (docs/contract.md §a)
      for (const p of [
        "/opt/rke-tools/entrypoint.sh",
        "/opt/rke-tools/cloud-provider.sh",
        "/opt/rke-tools/weave-plugins-cni.sh",
        "/usr/bin/cert-deployer",
        "/usr/bin/nginx-proxy",
        "/usr/bin/share-mnt",
      ]) {
        expect(resolveIn(root, p)).toBe(EXECUTABLE);
      }
    }, 60_000);

    test("the executable asks for our loader and our library directory, and nothing we do not ship", () => {
      const { root } = tree(arch);
      const exe = view(join(root, EXECUTABLE));
      expect(exe.machine).toBe(MACHINE[arch]);
      expect(exe.interpreter).toBe(`${LIB_DIR}/${LOADER[arch]}`);
      expect(exe.rpath).toBe(LIB_DIR);
      expect(exe.runpath).toBeUndefined(); // a RUNPATH would make the loader ignore RPATH
      const shipped = readdirSync(join(root, LIB_DIR));
      expect(shipped).toContain(LOADER[arch]);
      for (const lib of exe.needed) expect(shipped).toContain(lib);
      for (const lib of shipped) {
        const v = view(join(root, LIB_DIR, lib));
        expect(v.machine).toBe(MACHINE[arch]);
        for (const dep of v.needed) expect(shipped).toContain(dep);
      }
    }, 60_000);

    test("the dynamic table agrees with the section table (patchelf's stale DT_VERDEF is mended)", () => {
      const exe = view(join(tree(arch).root, EXECUTABLE));
      const pairs: [string, string][] = [
        ["VERDEF", ".gnu.version_d"],
        ["VERNEED", ".gnu.version_r"],
        ["VERSYM", ".gnu.version"],
        ["SYMTAB", ".dynsym"],
        ["STRTAB", ".dynstr"],
        ["GNU_HASH", ".gnu.hash"],
        ["HASH", ".hash"],
      ];
      for (const [tag, section] of pairs) {
        expect({ tag, value: exe.dynamic.get(tag) }).toEqual({ tag, value: exe.sections.get(section)?.addr });
      }
    }, 60_000);

    test("the embedded program (.bun section) is byte-for-byte the compiled one", () => {
      const { root, binary } = tree(arch);
      const bytes = (path: string) => {
        const s = view(path).sections.get(".bun");
        expect(s?.size ?? 0).toBeGreaterThan(0);
        return readFileSync(path).subarray(s!.offset, s!.offset + s!.size);
      };
      expect(Buffer.compare(bytes(binary), bytes(join(root, EXECUTABLE)))).toBe(0);
    }, 60_000);

    test("the manifest records the glibc package and the files' digests", () => {
      const { manifest } = tree(arch);
      expect(manifest.arch).toBe(arch);
      expect(manifest.glibc.package).toMatch(arch === "x64" ? /^libc6/ : /^libc6(:arm64|-arm64-cross)$/);
      expect(Object.keys(manifest.glibc.files).sort()).toEqual(
        layout(arch)
          .filter((e) => e.type === "file" && e.from === "glibc")
          .map((e) => e.path.slice(LIB_DIR.length + 1))
          .sort(),
      );
      for (const digest of Object.values(manifest.glibc.files)) expect(digest).toMatch(/^[0-9a-f]{64}$/);
      expect(manifest.executable.path).toBe(EXECUTABLE);
    }, 60_000);
  });
}
