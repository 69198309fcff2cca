/**
 * Issue 16: the test image built with podman and the end-to-end suite (test/image/) timed; the
 * image's layers, raw and as a registry stores them (gzip -6). The first make of the Debian base
 * (mmdebstrap, minutes, network-bound) is timed once into a throw-away cache when
 * RKE_TOOLS_BENCH_COLD_BASE=1; every other row is a median of 3.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryPath, ROOT } from "../compile/build.ts";
import { engineTry, findEngine, imageSizes, mb } from "../compile/engine.ts";
import { buildImage, saveImage, testImageArgs } from "../compile/image.ts";
import { assembleRootfs } from "../compile/rootfs.ts";
import { testBase } from "../compile/test-base.ts";
import { median } from "./lib.ts";
import type { Bench } from "./run.ts";

const RUNS = 3;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** Each layer tar of a docker-archive, oldest first (manifest.json order): raw and gzip -6 bytes. */
function archiveLayers(archive: string): { raw: number; gz: number }[] {
  const manifest = JSON.parse(spawnSync("tar", ["-xOf", archive, "manifest.json"], { encoding: "utf8" }).stdout) as { Layers: string[] }[];
  const sizes = new Map(
    spawnSync("tar", ["-tvf", archive], { encoding: "utf8" })
      .stdout.split("\n")
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 6)
      .map((f) => [f[f.length - 1]!, Number(f[2])] as const),
  );
  return manifest[0]!.Layers.map((f) => ({
    raw: sizes.get(f) ?? 0,
    gz: Number(spawnSync("sh", ["-c", `tar -xOf '${archive}' '${f}' | gzip -6 | wc -c`], { encoding: "utf8" }).stdout.trim()),
  }));
}

const bench: Bench = {
  title: "Image: podman build of the test image and the end-to-end suite",
  async run() {
    const engine = findEngine("podman");
    if (!engine) return "podman not found on PATH: not measured.";
    const work = mkdtempSync(join(tmpdir(), "rke-image-bench-"));
    const rows: string[] = [];
    const tag = "localhost/rke-tools-ts-bench:image";
    const dangling = () => new Set(engineTry(engine, ["images", "-q", "--no-trunc", "--filter", "dangling=true"]).stdout.split("\n").filter(Boolean));
    const before = dangling();
    let base = "";
    try {
      if (process.env.RKE_TOOLS_BENCH_COLD_BASE === "1") {
        const cache = join(work, "cache");
        let ref = "";
        const ms = timed(() => (ref = testBase(engine, { cacheDir: cache }).ref));
        rows.push(`| test base, cold: mmdebstrap (bookworm, from apt's mirror) + podman import (once) | ${secs(ms)} |`);
        engineTry(engine, ["rmi", ref]);
      }
      const imports: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const probe = testBase(engine);
        base = probe.ref;
        engineTry(engine, ["rmi", "-f", base]);
        imports.push(timed(() => testBase(engine)));
      }
      rows.push(`| test base from the cached tar: podman import | ${secs(median(imports))} |`);

      const ctx = join(work, "context");
      const assemble: number[] = [];
      for (let i = 0; i < RUNS; i++) assemble.push(timed(() => assembleRootfs("x64", binaryPath("x64"), join(ctx, "dist/rootfs/linux-x64"))));
      rows.push(`| our tree: assemble (patchelf, glibc copy) | ${secs(median(assemble))} |`);

      const builds: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        engineTry(engine, ["rmi", "-f", tag]);
        builds.push(timed(() => buildImage(engine, { context: ctx, arch: "x64", tag, buildArgs: testImageArgs(base), offline: true })));
      }
      rows.push(`| podman build (base cached; our layer copied each time) | ${secs(median(builds))} |`);

      const archive = join(work, "image.tar");
      const saves: number[] = [];
      for (let i = 0; i < RUNS; i++) saves.push(timed(() => saveImage(engine, tag, archive)));
      rows.push(`| podman save → docker-archive | ${secs(median(saves))} |`);

      const suite = timed(() => {
        const r = spawnSync(process.execPath, ["test/run.ts", "--no-build", "test/image/"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        const last = (r.stdout ?? "").trim().split("\n").pop() ?? "";
        rows.push(`| end-to-end suite \`test/run.ts --no-build test/image/\` (${last}; once) | SUITE |`);
      });
      rows[rows.length - 1] = rows[rows.length - 1]!.replace("SUITE", secs(suite));

      const sizes = imageSizes(engine, tag);
      // Label each archive layer with the history row of the same size (history is newest first).
      const history = [...sizes.layers].reverse();
      const layers = archiveLayers(archive).filter((l) => l.raw > 10_000);
      const layerRows = layers.map((l) => {
        const h = history.find((r) => Math.abs(r.bytes - l.raw) <= Math.max(0.02 * l.raw, 4096));
        const what = (h?.createdBy ?? "?")
          .replace(/\|/g, "\\|")
          .replace(/^\/bin\/sh -c (#\(nop\) )?/, "")
          .slice(0, 80);
        return `| ${what} | ${mb(l.raw)} | ${mb(l.gz)} |`;
      });
      const gzTotal = layers.reduce((a, l) => a + l.gz, 0);
      return `Timings (median of ${RUNS} unless noted):

| step | time |
|---|---|
${rows.join("\n")}

The test image's layers (\`podman history\`; gzip -6 is what a registry stores):

| layer | raw | gzip -6 |
|---|---|---|
${layerRows.join("\n")}
| **total** (\`podman image inspect\`; layers under 10 kB left out) | **${mb(sizes.total)}** | **${mb(gzTotal)}** |

docker-archive on disk: ${mb(statSync(archive).size)} (layers uncompressed, as \`podman save\` writes them).`;
    } finally {
      engineTry(engine, ["rmi", "-f", tag]);
      if (base) engineTry(engine, ["rmi", base]); // imported here (the suite removes its own)
      const left = [...dangling()].filter((id) => !before.has(id)); // the builds' stage images
      if (left.length) engineTry(engine, ["rmi", "-f", ...left]);
      rmSync(work, { recursive: true, force: true });
    }
  },
};

export default bench;
