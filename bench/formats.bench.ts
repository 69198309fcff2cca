/**
 * Issue 9: `save --once` in each archive format against `etcdctl snapshot save` alone, on a
 * ~1 GiB database of Kubernetes-like values (test/support/etcd.ts). Goal for tar.zst: ≤ 1.05× the
 * wall time of etcdctl alone, and smaller than the zip. Heavy: each command runs once per round,
 * rounds alternate the commands; medians of the rounds are reported.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { distDir } from "../compile/build.ts";
import { startEtcd } from "../test/support/etcd.ts";
import { measure, median, mib, type Measured } from "./lib.ts";
import type { Bench } from "./run.ts";

const DB_BYTES = Number(process.env.RKE_BENCH_DB_BYTES ?? 1024 ** 3);
const ROUNDS = Number(process.env.RKE_BENCH_ROUNDS ?? 3);
const FORMATS = ["zip", "tar.gz", "tar.zst"] as const;

const bench: Bench = {
  title: "Archive formats: save --once against etcdctl snapshot save",
  async run() {
    const loadBefore = loadavg()[0]!.toFixed(1);
    const etcd = await startEtcd();
    const root = mkdtempSync(join(tmpdir(), "rke-bench-formats-"));
    try {
      const filled = performance.now();
      await etcd.fill(DB_BYTES);
      process.stderr.write(`bench: formats: filled ${DB_BYTES} bytes in ${((performance.now() - filled) / 1000).toFixed(0)} s\n`);
      const backup = join(root, "backup");
      const kubernetes = join(root, "kubernetes");
      mkdirSync(backup);
      mkdirSync(kubernetes);
      const env = { PATH: process.env.PATH, RKE_TOOLS_BACKUP_DIR: backup, RKE_TOOLS_KUBERNETES_DIR: kubernetes, RKE_TOOLS_TMP_DIR: root };
      const etcdctlOut = join(root, "etcdctl.db");
      const etcdctl = ["etcdctl", ...etcd.flags, "snapshot", "save", etcdctlOut];
      const runs: Record<string, Measured[]> = { etcdctl: [] };
      const sizes: Record<string, number> = {};
      for (let round = 0; round < ROUNDS; round++) {
        rmSync(etcdctlOut, { force: true });
        runs.etcdctl!.push(check(measure(etcdctl, { env: { PATH: process.env.PATH, ETCDCTL_API: "3" } }), "etcdctl"));
        sizes.etcdctl = statSync(etcdctlOut).size;
        for (const format of FORMATS) {
          const name = `bench-${format.replace(".", "-")}-${round}`;
          const cmd = [join(distDir("x64"), "rke-etcd-backup"), "etcd-backup", "save", "--once", "--name", name, "--archive-format", format, ...etcd.flags];
          (runs[format] ??= []).push(check(measure(cmd, { env }), `save ${format}`));
          const path = join(backup, `${name}.${format}`);
          sizes[format] = statSync(path).size;
          rmSync(path);
        }
      }
      const mid = (k: string) => median(runs[k]!.map((m) => m.wallMs));
      const base = mid("etcdctl");
      const rows = ["etcdctl", ...FORMATS].map((k) => {
        const label = k === "etcdctl" ? "`etcdctl snapshot save` (raw, no archive)" : `\`save --once --archive-format ${k}\``;
        const rss = Math.max(...runs[k]!.map((m) => m.maxRssKiB));
        const walls = runs[k]!.map((m) => (m.wallMs / 1000).toFixed(2)).join(" / ");
        const cpu = median(runs[k]!.map((m) => m.cpuS)).toFixed(2);
        return `| ${label} | ${walls} s | ${(mid(k) / base).toFixed(2)}× | ${cpu} s | ${mib(rss)} MiB | ${sizes[k]!.toLocaleString("en")} | ${(sizes[k]! / sizes.etcdctl!).toFixed(3)} |`;
      });
      return `Database: ${mib(sizes.etcdctl! / 1024)} MiB snapshot of Kubernetes-like values (test/support/etcd.ts \`fill\`), etcd 3.4 on
loopback with client-certificate TLS. ${ROUNDS} rounds, each command once per round; the ratio is of medians, CPU
(user + system) the median, max RSS the largest of any round. Goal (issue 9): tar.zst
≤ 1.05× etcdctl alone and smaller than the zip. Load average (1 min) of this shared 2-core machine: ${loadBefore} before,
${loadavg()[0]!.toFixed(1)} after: every command here competes with etcd itself and with other work for the 2 cores.

| command | wall (each round) | median vs etcdctl | CPU | max RSS | bytes | size vs raw |
|---|---|---|---|---|---|---|
${rows.join("\n")}
`;
    } finally {
      await etcd.stop();
      rmSync(root, { recursive: true, force: true });
    }
  },
};

function check(m: Measured, what: string): Measured {
  if (m.code !== 0) throw new Error(`${what} exited ${m.code}`);
  return m;
}

export default bench;
