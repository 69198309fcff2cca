/**
 * Issue 18: `verify` on real etcd snapshots of 64 MiB and 1 GiB against `etcdctl snapshot status`
 * on the same file: wall time, CPU and peak RSS (GNU time), median of 3; and src/bbolt's check alone
 * (bench/verify-check-only.ts), which is the part that does what etcdctl does. `verify` of the raw file
 * reads it twice (the SHA-256 trailer, then the bbolt walk by position); of the zip, it inflates
 * the entry once into an unlinked copy and walks that. The values printed must equal etcdctl's.
 * Snapshots are made once from a real etcd and kept in /var/tmp/rke-verify-bench.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { distDir } from "../compile/build.ts";
import { startEtcd } from "../test/support/etcd.ts";
import { writeGoZip } from "../test/support/go-zip.ts";
import { median, measure, mib, type Measured } from "./lib.ts";
import type { Bench } from "./run.ts";

const RUNS = 3;
const WORK = "/var/tmp/rke-verify-bench";
const MiB = 2 ** 20;
const SIZES = [
  { label: "64 MiB", bytes: 64 * MiB },
  { label: "1 GiB", bytes: 1024 * MiB },
];
const BIN = join(distDir("x64"), "rke-etcd-backup");
const ENV = { PATH: process.env.PATH, ETCDCTL_API: "3" };

/** One etcd filled in two steps; a snapshot after each (kept between runs). */
async function ensureSnapshots(): Promise<string[]> {
  const paths = SIZES.map((s) => join(WORK, `s${s.bytes / MiB}m`, "backup", `s${s.bytes / MiB}m`));
  if (paths.every((p) => existsSync(`${p}.done`))) return paths;
  rmSync(WORK, { recursive: true, force: true });
  const etcd = await startEtcd({ quotaBytes: 8 * 2 ** 30 });
  try {
    let filled = 0;
    for (const [i, s] of SIZES.entries()) {
      await etcd.fill(s.bytes - filled);
      filled = s.bytes;
      mkdirSync(join(paths[i]!, ".."), { recursive: true });
      const r = etcd.etcdctl(["snapshot", "save", paths[i]!]);
      if (r.code !== 0) throw new Error(`etcdctl snapshot save: ${r.stderr}`);
      const name = `s${s.bytes / MiB}m`;
      mkdirSync(join(paths[i]!, "..", "..", "zip"), { recursive: true });
      await writeGoZip(join(paths[i]!, "..", "..", "zip", `${name}.zip`), [
        { name: `/backup/${name}`, data: Bun.file(paths[i]!).stream() as unknown as AsyncIterable<Uint8Array> },
      ]);
      writeFileSync(`${paths[i]}.done`, "");
    }
  } finally {
    await etcd.stop();
  }
  return paths;
}

const row = (label: string, runs: Measured[]) =>
  `| ${label} | ${(median(runs.map((r) => r.wallMs)) / 1000).toFixed(2)} s | ${median(runs.map((r) => r.cpuS)).toFixed(2)} s | ${mib(Math.max(...runs.map((r) => r.maxRssKiB)))} MiB |`;

const bench: Bench = {
  title: "etcd-backup verify: the etcd database check against etcdctl snapshot status",
  async run() {
    const paths = await ensureSnapshots();
    const sections: string[] = [];
    for (const [i, s] of SIZES.entries()) {
      const raw = paths[i]!;
      const name = `s${s.bytes / MiB}m`;
      const rawDir = join(raw, "..");
      const zipDir = join(rawDir, "..", "zip");
      mkdirSync(zipDir, { recursive: true });
      const ref = JSON.parse(Bun.spawnSync(["etcdctl", "snapshot", "status", "-w", "json", raw], { env: ENV }).stdout.toString());
      const ours = JSON.parse(
        Bun.spawnSync([BIN, "etcd-backup", "verify", "--name", name, "--output", "json"], { env: { ...ENV, RKE_TOOLS_BACKUP_DIR: rawDir } }).stdout.toString(),
      )[0].database.status;
      const same = JSON.stringify(ours) === JSON.stringify(ref);
      const cmds: [string, string[], Record<string, string | undefined>][] = [
        ["`etcdctl snapshot status` (raw file)", ["etcdctl", "snapshot", "status", "-w", "json", raw], ENV],
        ["bbolt check + status alone (`src/bbolt` under bun, raw file)", [process.execPath, join(import.meta.dir, "verify-check-only.ts"), raw], ENV],
        ["`verify` (raw file)", [BIN, "etcd-backup", "verify", "--name", name], { ...ENV, RKE_TOOLS_BACKUP_DIR: rawDir }],
        ["`verify` (zip: inflate + copy + check)", [BIN, "etcd-backup", "verify", "--name", name], { ...ENV, RKE_TOOLS_BACKUP_DIR: zipDir }],
      ];
      const rows: string[] = [];
      for (const [label, cmd, env] of cmds) {
        const runs: Measured[] = [];
        for (let k = 0; k < RUNS; k++) {
          const m = measure(cmd, { env });
          if (m.code !== 0) throw new Error(`${label} exited ${m.code}`);
          runs.push(m);
        }
        rows.push(row(label, runs));
      }
      sections.push(`### ${s.label} (${statSync(raw).size} bytes, ${ref.totalKey} keys)

Same hash, revision, keys and size as etcdctl: **${same ? "yes" : "NO"}** (hash ${ref.hash}, revision ${ref.revision}).

| command | wall (median) | CPU (median) | peak RSS (max) |
|---|---|---|---|
${rows.join("\n")}
`);
    }
    return `Snapshots of a real etcd 3.4 filled with 64 KiB k8s-like values (test/support/etcd.ts), taken by
\`etcdctl snapshot save\`; the zip in the original's Go layout. ${RUNS} runs each, page cache warm, load
${loadavg()[0]!.toFixed(1)} at the end. etcdctl maps the file (its RSS counts the pages it touched);
ours reads by position (its RSS is its own buffers).

${sections.join("\n")}`;
  },
};

export default bench;
