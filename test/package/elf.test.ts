/** compile/elf.ts and the checks of compile/self-contained.ts, on the real compiled executable. */
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryPath } from "../../compile/build.ts";
import { DT, dynamicMismatches, fixDynamicPointers, parseElf, sectionBytes } from "../../compile/elf.ts";
import { findGlibc } from "../../compile/glibc.ts";
import { checkSelfContained, LIB_DIR } from "../../compile/self-contained.ts";
import { ErrorCode, RkeToolsError } from "../../src/errors.ts";
import { describeWith } from "../support/components.ts";
import { tools } from "./fixture.ts";
import { view } from "./readelf.ts";

const dir = mkdtempSync(join(tmpdir(), "rke-elf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** patchelf alone, as a packager would run it, without our mending. */
function rawPatchelf(): string {
  const out = join(dir, `raw-${Math.random().toString(36).slice(2)}`);
  copyFileSync(binaryPath("x64"), out);
  const r = Bun.spawnSync(["patchelf", "--set-interpreter", `${LIB_DIR}/ld-linux-x86-64.so.2`, "--force-rpath", "--set-rpath", LIB_DIR, out]);
  expect(r.exitCode).toBe(0);
  return out;
}

describeWith([tools.readelf], "parseElf on the compiled executable", () => {
  test("reads what readelf reads: machine, interpreter, NEEDED, no RPATH, a .bun section", () => {
    const buf = readFileSync(binaryPath("x64"));
    const elf = parseElf(buf);
    const ref = view(binaryPath("x64"));
    expect(elf.machine).toBe("x86-64");
    expect(elf.interpreter).toBe(ref.interpreter!);
    expect(elf.needed).toEqual(ref.needed);
    expect(elf.rpath).toBeUndefined();
    expect(sectionBytes(buf, elf, ".bun")?.length).toBe(ref.sections.get(".bun")!.size);
    expect(dynamicMismatches(elf)).toEqual([]);
  });

  test("refuses what is not a 64-bit little-endian ELF file", () => {
    expect(() => parseElf(new TextEncoder().encode("#!/bin/sh\necho not elf\n".padEnd(80)))).toThrow(/Cannot read ELF file: no ELF magic/);
  });
});

describeWith([tools.patchelf, tools.readelf], "patchelf 0.14 and our mending", () => {
  test("fixDynamicPointers aims a stale DT_VERDEF back at .gnu.version_d (what patchelf 0.14 leaves behind)", () => {
    const buf = readFileSync(binaryPath("x64"));
    const elf = parseElf(buf);
    const verdef = elf.dynamic.find((d) => d.tag === DT.VERDEF)!;
    new DataView(buf.buffer, buf.byteOffset).setBigUint64(verdef.at + 8, 0x58585858n, true); // 'XXXX', patchelf's filler
    expect(dynamicMismatches(parseElf(buf)).map(([tag]) => tag)).toEqual([DT.VERDEF]);
    expect(() => checkSelfContained(readFileSync(binaryPath("x64")), buf, "x64")).toThrow(/interpreter|DT_VERDEF/);
    expect(fixDynamicPointers(buf)).toEqual([DT.VERDEF]);
    const after = parseElf(buf);
    expect(after.dynamic.find((d) => d.tag === DT.VERDEF)?.value).toBe(after.sections.find((s) => s.name === ".gnu.version_d")!.addr);
    expect(fixDynamicPointers(buf)).toEqual([]);
  });

  test("patchelf then fixDynamicPointers: every check of checkSelfContained passes", () => {
    const buf = readFileSync(rawPatchelf());
    fixDynamicPointers(buf);
    expect(dynamicMismatches(parseElf(buf))).toEqual([]);
    expect(() => checkSelfContained(readFileSync(binaryPath("x64")), buf, "x64")).not.toThrow();
  }, 60_000);

  test("a changed embedded program or an unexpected interpreter is refused", () => {
    const original = readFileSync(binaryPath("x64"));
    const buf = readFileSync(rawPatchelf());
    fixDynamicPointers(buf);
    const bun = sectionBytes(buf, parseElf(buf), ".bun")!;
    bun[100] = bun[100]! ^ 0xff;
    expect(() => checkSelfContained(original, buf, "x64")).toThrow(/embedded program \(\.bun section\) changed/);
    bun[100] = bun[100]! ^ 0xff;
    expect(() => checkSelfContained(original, buf, "x64", "/elsewhere")).toThrow(/interpreter is \/opt\/rke-tools\/lib\/ld-linux-x86-64.so.2, not \/elsewhere/);
    expect(() => checkSelfContained(original, original, "x64")).toThrow(/interpreter is \/lib64\/ld-linux-x86-64.so.2/);
  }, 60_000);
});

test("findGlibc names every place it looked when none holds the five files", () => {
  try {
    findGlibc("arm64", ["/nonexistent/a", "/nonexistent/b"]);
    throw new Error("expected a throw");
  } catch (e) {
    expect(e).toBeInstanceOf(RkeToolsError);
    expect((e as RkeToolsError).code).toBe(ErrorCode.NotFound);
    expect((e as RkeToolsError).message).toBe(
      "Cannot find glibc for linux-arm64: none of /nonexistent/a, /nonexistent/b holds ld-linux-aarch64.so.1, libc.so.6, libm.so.6, libpthread.so.0, libdl.so.2 (apt-get install libc6-arm64-cross)",
    );
  }
});
