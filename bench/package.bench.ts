/**
 * Issue 7: the self-contained executable's size per architecture (raw, gzip -6, zstd -19; what an
 * image layer costs) and its start-up in a chroot of the image tree next to the plain build.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ARCHES, binaryPath, build, distDir } from "../compile/build.ts";
import { assembleRootfs, EXECUTABLE } from "../compile/rootfs.ts";
import { LIB_DIR } from "../compile/self-contained.ts";
import { median, measure, mib, type Measured } from "./lib.ts";
import type { Bench } from "./run.ts";

const RUNS = 40;
const MB = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

/** Bytes of `cmd`'s output when fed `path` (a file, or a directory as tar). */
function compressed(path: string, cmd: string): number {
  const src = statSync(path).isDirectory() ? `tar -C '${path}' -cf - .` : `cat '${path}'`;
  const r = spawnSync("sh", ["-c", `${src} | ${cmd} | wc -c`], { encoding: "utf8" });
  return Number.parseInt(r.stdout.trim(), 10);
}

function tarBytes(dir: string): number {
  return compressed(dir, "cat");
}

const bench: Bench = {
  title: "Self-contained executable: size and start-up in the image tree",
  async run() {
    const base = mkdtempSync(join(tmpdir(), "rke-package-bench-"));
    try {
      const sizeRows: string[] = [];
      const roots: Record<string, string> = {};
      for (const arch of ARCHES) {
        if (arch !== "x64") build(arch); // bench/run.ts built x64
        const root = join(base, `linux-${arch}`);
        assembleRootfs(arch, binaryPath(arch), root);
        roots[arch] = root;
        const exe = join(root, EXECUTABLE);
        const lib = join(root, LIB_DIR);
        for (const [label, path, raw] of [
          [`linux-${arch} plain build`, binaryPath(arch), statSync(binaryPath(arch)).size],
          [`linux-${arch} ${EXECUTABLE} (patched)`, exe, statSync(exe).size],
          [`linux-${arch} ${LIB_DIR}/ (tar)`, lib, tarBytes(lib)],
        ] as const) {
          sizeRows.push(`| ${label} | ${MB(raw)} | ${MB(compressed(path, "gzip -6"))} | ${MB(compressed(path, "zstd -19 -T0 -q"))} |`);
        }
      }

      const startRows: string[] = [];
      const root = roots.x64!;
      mkdirSync(join(root, "proc"));
      const help = ["etcd-backup", "save", "--help"];
      const cases: [string, string[]][] = [
        ["plain build, host root", [join(distDir("x64"), "rke-etcd-backup"), ...help]],
        ["plain build, host root, through unshare", ["unshare", "-m", "--mount-proc", "-R", "/", join(distDir("x64"), "rke-etcd-backup"), ...help]],
        ["patched, chroot of the tree, through unshare", ["unshare", "-m", "--mount-proc", "-R", root, EXECUTABLE, ...help]],
        ["`unshare … /bin/true` (namespace + spawn floor)", ["unshare", "-m", "--mount-proc", "-R", "/", "/bin/true"]],
      ];
      // Interleaved (one run of each case per round), so bursts of load on a shared machine hit all alike.
      const isRoot = process.getuid?.() === 0;
      const runnable = cases.filter(([, cmd]) => cmd[0] !== "unshare" || isRoot);
      for (const [, cmd] of runnable) measure(cmd); // warm the page cache
      const results = new Map<string, Measured[]>(runnable.map(([label]) => [label, []]));
      for (let i = 0; i < RUNS; i++) for (const [label, cmd] of runnable) results.get(label)!.push(measure(cmd));
      for (const [label] of cases) {
        const s = results.get(label);
        if (!s) {
          startRows.push(`| ${label} | (needs root) | | |`);
          continue;
        }
        startRows.push(
          `| ${label} | ${median(s.map((m) => m.wallMs)).toFixed(1)} ms | ${Math.min(...s.map((m) => m.wallMs)).toFixed(1)} ms | ${mib(median(s.map((m) => m.maxRssKiB)))} MiB |`,
        );
      }
      return `Sizes: one run. MB = 10^6 bytes. gzip -6 is what a Docker layer costs; zstd -19 what a zstd layer costs.

| file | raw | gzip -6 | zstd -19 |
|---|---|---|---|
${sizeRows.join("\n")}

Start-up of \`rke-etcd-backup etcd-backup save --help\`: median of ${RUNS} runs each, interleaved (after one warm-up), wall time
including process spawn, max RSS from GNU time. The chroot rows include unshare's own cost (last row).

| how | median | min | max RSS (median) |
|---|---|---|---|
${startRows.join("\n")}
`;
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  },
};
export default bench;
