/**
 * Makes a copy of the compiled executable that needs nothing from the root it runs in except
 * /proc: its ELF interpreter and DT_RPATH point at our own glibc in /opt/rke-tools/lib, so it runs
 * inside the hyperkube image (RKE's entrypoint.sh) whatever libc that image has.
 *
 * patchelf (Debian's 0.14.3) does the rewrite. It keeps Bun's embedded program: the `.bun` section
 * sits in the data segment, whose bytes and addresses patchelf leaves alone (it only shifts file
 * offsets). But it leaves DT_VERDEF aimed at bytes it overwrote with 'X' (NixOS/patchelf#664, open):
 * fixDynamicPointers mends that (the arm64 loader crashes without it; x64 ran by luck). Every result is checked before it is kept.
 * RPATH, not RUNPATH: RPATH also covers libraries that libc itself loads (dlopen of NSS modules)
 * and comes before LD_LIBRARY_PATH, which a foreign image may set.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { ErrorCode, RkeToolsError } from "../src/errors.ts";
import type { Arch } from "./build.ts";
import { DT, dynamicMismatches, fixDynamicPointers, parseElf, sectionBytes } from "./elf.ts";
import { glibcFiles, LOADER } from "./glibc.ts";

/** Where the image keeps our glibc: inside the sidekick's VOLUME, so hyperkube containers see it. */
export const LIB_DIR = "/opt/rke-tools/lib";

export interface SelfContained {
  interpreter: string;
  rpath: string;
  /** Dynamic tags patchelf left wrong and we corrected, by name. */
  fixed: string[];
  bytesBefore: number;
  bytesAfter: number;
}

const TAG_NAMES = Object.fromEntries(Object.entries(DT).map(([k, v]) => [v, `DT_${k}`]));

function patchelf(args: string[]): void {
  const r = spawnSync("patchelf", args, { encoding: "utf8" });
  if (r.error) throw new RkeToolsError(ErrorCode.Exec, `Cannot run patchelf: ${r.error.message} (apt-get install patchelf)`, { cause: r.error });
  if (r.status !== 0) throw new RkeToolsError(ErrorCode.Exec, `Cannot patch the executable: patchelf exited ${r.status}: ${r.stderr.trim()}`);
}

/** Throws unless `patched` is `original` with our interpreter and RPATH, and the same embedded program. */
export function checkSelfContained(original: Uint8Array, patched: Uint8Array, arch: Arch, libDir = LIB_DIR): void {
  const fail = (why: string) => new RkeToolsError(ErrorCode.InvalidInput, `Cannot use the patched executable: ${why}`);
  const before = parseElf(original);
  const after = parseElf(patched);
  const interpreter = `${libDir}/${LOADER[arch]}`;
  if (after.interpreter !== interpreter) throw fail(`interpreter is ${after.interpreter}, not ${interpreter}`);
  if (after.rpath !== libDir) throw fail(`RPATH is ${after.rpath}, not ${libDir}`);
  if (after.runpath !== undefined) throw fail(`it has a RUNPATH (${after.runpath}), which would disable RPATH`);
  const shipped = new Set(glibcFiles(arch));
  const missing = after.needed.filter((n) => !shipped.has(n));
  if (missing.length) throw fail(`it needs ${missing.join(", ")}, which ${libDir} does not hold`);
  const wrong = dynamicMismatches(after);
  if (wrong.length) throw fail(`dynamic entries point away from their sections: ${wrong.map(([t]) => TAG_NAMES[t] ?? t).join(", ")}`);
  const payload = sectionBytes(original, before, ".bun");
  const kept = sectionBytes(patched, after, ".bun");
  if (!payload || payload.length === 0) throw fail("the original has no .bun section (is it a Bun executable?)");
  if (!kept || Buffer.compare(payload, kept) !== 0) throw fail("the embedded program (.bun section) changed");
}

/** Writes the self-contained copy of `input` to `output` (temp name, checked, then renamed). */
export function makeSelfContained(input: string, output: string, arch: Arch, libDir = LIB_DIR): SelfContained {
  const tmp = `${output}.tmp-${process.pid}`;
  try {
    copyFileSync(input, tmp);
    chmodSync(tmp, 0o755);
    const interpreter = `${libDir}/${LOADER[arch]}`;
    patchelf(["--set-interpreter", interpreter, "--force-rpath", "--set-rpath", libDir, tmp]);
    const patched = readFileSync(tmp);
    const fixed = fixDynamicPointers(patched);
    if (fixed.length) writeFileSync(tmp, patched);
    const original = readFileSync(input);
    checkSelfContained(original, patched, arch, libDir);
    renameSync(tmp, output);
    return { interpreter, rpath: libDir, fixed: fixed.map((t) => TAG_NAMES[t] ?? String(t)), bytesBefore: original.length, bytesAfter: patched.length };
  } finally {
    rmSync(tmp, { force: true });
  }
}
