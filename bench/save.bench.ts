/**
 * Issue 3: `save --once` against `etcdctl snapshot save` alone on the same ~1 GiB database of
 * k8s-like values (back to back, alternating), archive size against a deflate-6 zip of the same
 * snapshot, peak RSS at ~1 GiB and at ≥ 4 GiB. Goals: ≤ 1.2× etcdctl, ≤ 1.05× the deflate-6 zip,
 * ≤ 64 MiB. Heavy (fills etcd with ~4.3 GiB): run it alone, on a quiet machine.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { distDir } from "../compile/build.ts";
import { startEtcd, type EtcdServer } from "../test/support/etcd.ts";
import { median, measure, mib, type Measured } from "./lib.ts";
import type { Bench } from "./run.ts";

const GiB = 2 ** 30;
const RUNS = 3;

interface Row {
  label: string;
  runs: Measured[];
  zipBytes?: number;
}

function fmt(r: Row, base?: number): string {
  const walls = r.runs.map((m) => (m.wallMs / 1000).toFixed(2)).join(" / ");
  const med = median(r.runs.map((m) => m.wallMs));
  const rel = base ? `${(med / base).toFixed(2)}×` : "1.00×";
  const cpu = median(r.runs.map((m) => m.cpuS)).toFixed(2);
  return `| ${r.label} | ${walls} s | ${rel} | ${cpu} s | ${mib(Math.max(...r.runs.map((m) => m.maxRssKiB)))} MiB | ${r.zipBytes?.toLocaleString("en-US") ?? "—"} |`;
}

function codes(rows: Row[]): void {
  for (const r of rows) for (const m of r.runs) if (m.code !== 0) throw new Error(`${r.label} exited ${m.code}`);
}

async function round(etcd: EtcdServer, work: string, engines: [string, string | undefined][], runs: number) {
  const bin = join(distDir("x64"), "rke-etcd-backup");
  const backup = join(work, "backup");
  const kube = join(work, "kube");
  mkdirSync(backup, { recursive: true });
  mkdirSync(kube, { recursive: true });
  const raw = join(work, "etcdctl.db");
  const ctl: Row = { label: "`etcdctl snapshot save` alone", runs: [] };
  const ours: Row[] = engines.map(([label]) => ({ label, runs: [] }));
  for (let i = 0; i < runs; i++) {
    rmSync(raw, { force: true });
    ctl.runs.push(
      measure(["etcdctl", ...etcd.flags, "snapshot", "save", raw], {
        env: { PATH: process.env.PATH, ETCDCTL_API: "3" },
      }),
    );
    engines.forEach(([, engine], j) => {
      rmSync(join(backup, "bench.zip"), { force: true });
      const env: Record<string, string | undefined> = { PATH: process.env.PATH, RKE_TOOLS_BACKUP_DIR: backup, RKE_TOOLS_KUBERNETES_DIR: kube };
      if (engine) env.RKE_TOOLS_SAVE_DEFLATE = engine;
      ours[j]!.runs.push(measure([bin, "etcd-backup", "save", "--once", "--name", "bench", ...etcd.flags], { env }));
      ours[j]!.zipBytes = statSync(join(backup, "bench.zip")).size;
    });
  }
  codes([ctl, ...ours]);
  return { ctl, ours, raw, rawBytes: statSync(raw).size };
}

/** Size of a zip of `raw` written by Python's zipfile at deflate level 6 (zlib, the reference). */
function deflate6Zip(raw: string, out: string): number {
  const r = spawnSync("python3", [
    "-c",
    "import zipfile,sys; z=zipfile.ZipFile(sys.argv[2],'w',zipfile.ZIP_DEFLATED,compresslevel=6); z.write(sys.argv[1],'/backup/bench'); z.close()",
    raw,
    out,
  ]);
  if (r.status !== 0) throw new Error(`python zip failed: ${r.stderr}`);
  return statSync(out).size;
}

const bench: Bench = {
  title: "etcd-backup save --once: wall time, archive size, peak RSS",
  async run() {
    const startLoad = loadavg()[0]!.toFixed(2);
    const etcd = await startEtcd({ quotaBytes: 8 * GiB });
    const work = join(etcd.dir, "work");
    try {
      let t = performance.now();
      await etcd.fill(1 * GiB);
      const fill1 = (performance.now() - t) / 1000;
      const engines: [string, string | undefined][] = [
        ["`save --once` (default: parallel deflate, level 2)", undefined],
        ["`save --once`, parallel deflate, level 4", "parallel:4"],
        ["`save --once`, parallel deflate, level 6", "parallel:6"],
      ];
      const one = await round(etcd, work, engines, RUNS);
      const ref = deflate6Zip(one.raw, join(work, "ref.zip"));
      const base = median(one.ctl.runs.map((m) => m.wallMs));
      rmSync(one.raw, { force: true });

      t = performance.now();
      await etcd.fill(3.3 * GiB);
      const fill4 = (performance.now() - t) / 1000;
      const four = await round(etcd, work, [engines[0]!], RUNS);
      const base4 = median(four.ctl.runs.map((m) => m.wallMs));

      const sizeRows = one.ours.map(
        (r) => `| ${r.label} | ${r.zipBytes!.toLocaleString("en-US")} | ${(r.zipBytes! / ref).toFixed(3)}× | ${(one.rawBytes / r.zipBytes!).toFixed(2)} |`,
      );
      return `Database: ${(one.rawBytes / 1e9).toFixed(2)} GB snapshot of 64 KiB k8s-like values (test/support/etcd.ts, filled in ${fill1.toFixed(0)} s),
then ${(four.rawBytes / 1e9).toFixed(2)} GB (filled in ${fill4.toFixed(0)} s more). etcd 3.4 with client-certificate TLS on loopback, on the same
2 cores as the client. Runs alternate etcdctl and ours, ${RUNS} each at both sizes; wall time, CPU (user + system,
median) and max RSS from GNU time (etcdctl's are etcdctl's; ours the whole process). Load average at the start: ${startLoad}.

### ~1 GiB

| command | wall (each run) | median vs etcdctl | CPU | max RSS | zip bytes |
|---|---|---|---|---|---|
${fmt(one.ctl)}
${one.ours.map((r) => fmt(r, base)).join("\n")}

### Archive size against a deflate-6 zip of the same snapshot

Reference: Python's zipfile, zlib level 6, one stream: ${ref.toLocaleString("en-US")} bytes (goal ≤ 1.05×).

| archive | bytes | vs deflate-6 | raw/zip |
|---|---|---|---|
${sizeRows.join("\n")}

### ≥ 4 GiB (ZIP64)

| command | wall (each run) | median vs etcdctl | CPU | max RSS | zip bytes |
|---|---|---|---|---|---|
${fmt(four.ctl)}
${four.ours.map((r) => fmt(r, base4)).join("\n")}
`;
    } finally {
      await etcd.stop();
    }
  },
};
export default bench;
