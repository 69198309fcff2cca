/**
 * The layering of src/, checked instead of remembered (docs/architecture.md): a library never
 * imports a tool, a tool never imports another tool, and no layer imports one above it. Imports
 * are read with a regex (static, dynamic and type-only alike: a type is a dependency too).
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = join(import.meta.dir, "..", "src");

/** Floors, bottom up: a file may import its own floor and those below. */
const FLOORS: string[][] = [
  ["errors.ts", "version.ts", "time", "env"],
  ["log", "fs", "retry", "tls", "sys", "net"],
  ["etcd", "archive", "bbolt", "cli", "cloud"],
  ["s3", "kube"],
  ["snapshot"],
  ["tools"],
  ["main.ts"],
];

/** `src/`-relative path → its room: the top folder, or the file at the top. */
const roomOf = (rel: string) => rel.split("/")[0]!;
const floorOf = (rel: string) => FLOORS.findIndex((f) => f.includes(roomOf(rel)));
/** `tools/<name>/…` → name; the files directly under tools/ (the registry and the list of knobs) belong to no tool. */
const toolOf = (rel: string) => (rel.startsWith("tools/") && rel.split("/").length > 2 ? rel.split("/")[1] : undefined);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(SRC, join(e.parentPath, e.name)));
}

function importsOf(rel: string): string[] {
  const text = readFileSync(join(SRC, rel), "utf8");
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm)].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith(".")).map((s) => relative(SRC, resolve(dirname(join(SRC, rel)), s)));
}

const edges = sources(SRC).flatMap((from) => importsOf(from).map((to) => ({ from, to })));

describe("architecture", () => {
  test("every file of src/ sits on a floor", () => {
    expect(sources(SRC).filter((f) => floorOf(f) < 0)).toEqual([]);
  });

  test("the graph is read (a sanity check of the regex)", () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: "log/logger.ts", to: "time/duration.ts" });
  });

  test("no library imports a tool", () => {
    expect(edges.filter((e) => !e.from.startsWith("tools/") && e.from !== "main.ts" && e.to.startsWith("tools/"))).toEqual([]);
  });

  test("no tool imports another tool", () => {
    expect(edges.filter((e) => toolOf(e.from) && toolOf(e.to) && toolOf(e.from) !== toolOf(e.to))).toEqual([]);
  });

  test("no tool imports the files directly under tools/ (the registry lazy-imports the tools: a circle; the contract is cli/tool-context.ts)", () => {
    expect(edges.filter((e) => toolOf(e.from) && e.to.startsWith("tools/") && !toolOf(e.to)).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  test("no layer imports a layer above it", () => {
    expect(edges.filter((e) => !e.to.startsWith("..") && floorOf(e.to) > floorOf(e.from)).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  test("src/s3/ is a plain S3 client: it knows nothing of snapshots (src/snapshot/)", () => {
    expect(edges.filter((e) => roomOf(e.from) === "s3" && roomOf(e.to) === "snapshot").map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  test("src/snapshot/ is built from values: it knows no command line (src/cli/), stores included", () => {
    expect(edges.filter((e) => roomOf(e.from) === "snapshot" && roomOf(e.to) === "cli").map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  test("in src/snapshot/, only the S3 store (stores/s3*.ts) knows src/s3/: the one place that knows both", () => {
    expect(
      edges.filter((e) => roomOf(e.from) === "snapshot" && roomOf(e.to) === "s3" && !/^snapshot\/stores\/s3[^/]*\.ts$/.test(e.from)).map((e) => `${e.from} → ${e.to}`),
    ).toEqual([]);
    expect(edges.some((e) => e.from === "snapshot/stores/s3.ts" && roomOf(e.to) === "s3")).toBe(true);
  });

  test("only src/main.ts ends the process or writes to the console; libraries leave output to the logger and the tools", () => {
    const code = (rel: string) =>
      readFileSync(join(SRC, rel), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
    const calls = (re: RegExp) => sources(SRC).filter((f) => re.test(code(f)));
    expect(calls(/\bprocess\.exit\s*\(|\bconsole\./).filter((f) => f !== "main.ts")).toEqual([]);
    expect(calls(/\bprocess\.(stdout|stderr)\b/).filter((f) => f !== "main.ts" && !f.startsWith("tools/"))).toEqual([]);
  });

  test("nothing in src/ imports from outside it (tests, build scripts)", () => {
    expect(edges.filter((e) => e.to.startsWith("..") && !e.to.startsWith("../templates/") && !e.to.startsWith("../package.json"))).toEqual([]);
  });
});
