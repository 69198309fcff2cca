/**
 * Every RKE_TOOLS_* variable is declared once (src/env/knob.ts, next to its reader), read through
 * readKnob, and listed in the README table generated from the declarations.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { withKnobTable } from "../../compile/docs-env.ts";
import { ROOT } from "../../compile/build.ts";
import { isKnobSet, knob, readKnob } from "../../src/env/knob.ts";
import { goDurationMs, port, url } from "../../src/env/parse.ts";
import { ALL_KNOBS } from "../../src/tools/knobs.ts";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

// Stamped at build time by compile/build.ts (--define), not read from the environment.
const BUILD_DEFINES = new Set(["RKE_TOOLS_VERSION", "RKE_TOOLS_COMMIT"]);

describe("environment knobs", () => {
  test("the README's table is the one generated from the declarations (npm run docs:env)", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(withKnobTable(readme)).toBe(readme);
  });

  test("every RKE_TOOLS_* name in src/ is a declared knob, declared once", () => {
    const declared = ALL_KNOBS.map((k) => k.name);
    expect(new Set(declared).size).toBe(declared.length);
    const used = new Map<string, string>();
    for (const file of sources(join(ROOT, "src"))) {
      for (const m of readFileSync(file, "utf8").matchAll(/RKE_TOOLS_[A-Z0-9_]*[A-Z0-9]/g)) {
        if (!BUILD_DEFINES.has(m[0])) used.set(m[0], relative(ROOT, file));
      }
    }
    const undeclared = [...used].filter(([name]) => !declared.includes(name)).map(([n, f]) => `${n} (${f})`);
    expect(undeclared).toEqual([]);
  });

  test("nothing reads an RKE_TOOLS_* variable around readKnob", () => {
    const direct: string[] = [];
    for (const file of sources(join(ROOT, "src"))) {
      const text = readFileSync(file, "utf8");
      if (/\benv\s*(\.\s*RKE_TOOLS_|\[\s*["'`]RKE_TOOLS_)/.test(text)) direct.push(relative(ROOT, file));
    }
    expect(direct).toEqual([]);
  });

  test("readKnob: unset or empty is the fallback; a bad value is one line naming the variable", () => {
    const k = knob({ name: "RKE_TOOLS_X", audience: "test", readBy: "t", shows: "`1`", fallback: 1, parse: port(1), describe: "x" });
    expect(readKnob({}, k)).toBe(1);
    expect(readKnob({ RKE_TOOLS_X: "" }, k)).toBe(1);
    expect(isKnobSet({ RKE_TOOLS_X: "" }, k)).toBe(false);
    expect(readKnob({ RKE_TOOLS_X: "8080" }, k)).toBe(8080);
    expect(() => readKnob({ RKE_TOOLS_X: "70000" }, k)).toThrow('invalid value "70000" for env RKE_TOOLS_X: not a port number (1–65535)');
    expect(() => readKnob({ RKE_TOOLS_X: "1e3" }, k)).toThrow("not a port number");
  });

  test("parsers: Go durations in ms (never negative), URLs without trailing slashes", () => {
    expect(goDurationMs("1m30s")).toBe(90_000);
    expect(goDurationMs("0")).toBe(0);
    expect(() => goDurationMs("-1s")).toThrow("must not be negative");
    expect(() => goDurationMs("soon")).toThrow('time: invalid duration "soon"');
    expect(url("http://127.0.0.1:8080//")).toBe("http://127.0.0.1:8080");
    expect(() => url("169.254.169.254")).toThrow("not an http:// or https:// URL");
  });
});
