/**
 * Issue 20: the top of etcd's size range. One etcd (quota 10 GiB) filled with k8s-like values to
 * about 1, 4 and 8 GiB in turn; at each size `etcdctl snapshot save` alone beside `save --once`
 * (time, peak RSS split, the progress lines it logged, the load average around the run), and
 * `save --once --s3-backup` to the local gateway (what RKE's backup_config.timeout has to cover).
 * At the largest size also: the ZIP64 archive read back by `unzip -t`, Python's zipfile and our
 * `verify`, and serve + peer download of it. The original Go program is measured beside ours
 * when RKE_TOOLS_ORIGINAL_BIN names its binary (it cannot be built here).
 *
 *   BENCH_LARGE_GIB=1,4,8 (default)   sizes in GiB; the last one gets the read-back rows
 * Needs ~45 GiB of free disk at 8 GiB (etcd's data and WAL, the archive, the gateway's copy, the
 * served and the downloaded file); each step removes what it made before the next.
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { distDir } from "../compile/build.ts";
import { startEtcd } from "../test/support/etcd.ts";
import { createBucket, gateway, removeBucket } from "../test/support/s3.ts";
import { measure, mib, rssSplit } from "./lib.ts";
import type { Bench } from "./run.ts";

const GiB = 2 ** 30;
const SIZES = (process.env.BENCH_LARGE_GIB ?? "1,4,8")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const BIN = join(distDir("x64"), "rke-etcd-backup");
const ORIGINAL = process.env.RKE_TOOLS_ORIGINAL_BIN;

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const gb = (bytes: number) => (bytes / 1e9).toFixed(2);
const s = (ms: number) => (ms / 1000).toFixed(1);

/** Runs a command, sampling its memory; returns wall time, the split peak and its stderr. */
async function timed(
  cmd: string[],
  env: Record<string, string | undefined>,
): Promise<{ ms: number; peakKiB: number; anonKiB: number; stderr: string; loadBefore: string; loadAfter: string }> {
  const loadBefore = load();
  const t = performance.now();
  const errFile = join("/var/tmp", `large-bench-${process.pid}.err`);
  const r = await rssSplit(["sh", "-c", 'exec "$@" 2>"$0"', errFile, ...cmd], env);
  const ms = performance.now() - t;
  const stderr = await Bun.file(errFile)
    .text()
    .catch(() => "");
  rmSync(errFile, { force: true });
  if (r.code !== 0) throw new Error(`${cmd.slice(0, 4).join(" ")} exited ${r.code}: ${stderr.trim().split("\n").pop()}`);
  return { ms, peakKiB: r.peakKiB, anonKiB: r.anonKiB, stderr, loadBefore, loadAfter: load() };
}

function dbSize(etcdctl: (a: string[]) => { stdout: string }): number {
  const out = etcdctl(["endpoint", "status", "-w", "json"]).stdout;
  return Number(/"dbSize":(\d+)/.exec(out)?.[1] ?? 0);
}

const bench: Bench = {
  title: "Large clusters: 1, 4 and 8 GiB databases",
  async run() {
    const etcd = await startEtcd({ quotaBytes: 10 * GiB });
    const work = join("/var/tmp", `large-bench-${process.pid}`);
    const backup = join(work, "backup");
    const kube = join(work, "kube");
    const g = gateway();
    const bucket = createBucket("never", "large");
    const env = {
      PATH: process.env.PATH,
      RKE_TOOLS_BACKUP_DIR: backup,
      RKE_TOOLS_KUBERNETES_DIR: kube,
      ETCDCTL_API: "3",
      S3_ACCESS_KEY: Buffer.from(g.accessKey).toString("base64"),
      S3_SECRET_KEY: Buffer.from(g.secretKey).toString("base64"),
    };
    const s3Flags = ["--s3-backup", `--s3-endpoint=${g.endpoint}`, `--s3-bucketName=${bucket}`, "--s3-region=", `--s3-endpoint-ca=${Buffer.from(g.caPem).toString("base64")}`];
    const fresh = () => {
      rmSync(backup, { recursive: true, force: true });
      mkdirSync(backup, { recursive: true });
      mkdirSync(kube, { recursive: true });
    };
    const rows: string[] = [];
    const perGiB: { gib: number; local: number; s3: number }[] = [];
    const memory: string[] = [];
    let readBack = "";
    try {
      let filled = 0;
      for (const gib of SIZES) {
        const fillT = performance.now();
        await etcd.fill(gib * GiB - filled);
        filled = gib * GiB;
        const db = dbSize(etcd.etcdctl);
        process.stderr.write(`bench: large: etcd at ${gb(db)} GB after ${s(performance.now() - fillT)} s of filling\n`);

        fresh();
        const raw = join(work, "raw.db");
        const ctl = await timed(["etcdctl", ...etcd.flags, "snapshot", "save", raw], env);
        rmSync(raw, { force: true });

        fresh();
        const ours = await timed([BIN, "etcd-backup", "save", "--once", "--name", "big", ...etcd.flags], env);
        const zip = join(backup, "big.zip");
        const zipBytes = statSync(zip).size;
        const progress = ours.stderr.split("\n").filter((l) => l.includes('msg="Saving snapshot: '));
        let original = "";
        if (ORIGINAL) {
          fresh();
          const o = await timed([ORIGINAL, "etcd-backup", "save", "--once", "--name", "orig", ...etcd.flags], env);
          original = ` | ${s(o.ms)} s`;
        }

        // Beside big.zip, which the read-back rows below use.
        const up = await timed([BIN, "etcd-backup", "save", "--once", "--name", `big-${gib}`, ...etcd.flags, ...s3Flags], env);
        const upProgress = up.stderr.split("\n").filter((l) => l.includes('msg="Uploading snapshot: ')).length;

        rows.push(
          `| ${gb(db)} GB | ${s(ctl.ms)} s | ${s(ours.ms)} s (${(ours.ms / ctl.ms).toFixed(2)}×)${ORIGINAL ? original : ""} | ${gb(zipBytes)} GB | ${s(up.ms)} s | ${progress.length} + ${upProgress} | ${ours.loadBefore} → ${ours.loadAfter} |`,
        );
        memory.push(`| ${gb(db)} GB | ${mib(ours.peakKiB)} MiB | ${mib(ours.anonKiB)} MiB | ${mib(ctl.peakKiB)} MiB |`);
        perGiB.push({ gib: db / GiB, local: ours.ms / 1000, s3: up.ms / 1000 });
        if (progress.length > 0) process.stderr.write(`bench: large: last progress line at ${gib} GiB: ${progress.at(-1)}\n`);

        if (gib === SIZES.at(-1)) {
          // The archive read back three ways, then served to a peer (serve extracts it first).
          const unzip = measure(["unzip", "-tqq", zip]);
          const py = measure(["python3", "-c", "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); sys.exit(1 if z.testzip() else 0)", zip]);
          const verify = measure([BIN, "etcd-backup", "verify", "--name", "big"], { env });
          const serveT = performance.now();
          const serve = Bun.spawn([BIN, "etcd-backup", "serve", "--name", "big", "--cacert", etcd.pki.ca, "--cert", etcd.pki.node.cert, "--key", etcd.pki.node.key], {
            env: { ...env, RKE_TOOLS_SERVE_PORT: "0", RKE_TOOLS_SERVE_HOSTS: "127.0.0.1" },
            stdout: "ignore",
            stderr: "pipe",
          });
          const reader = serve.stderr.getReader();
          let text = "";
          let port = 0;
          while (!port) {
            const { value, done } = await reader.read();
            if (done) throw new Error(`serve did not start: ${text}`);
            text += new TextDecoder().decode(value);
            port = Number(/on port (\d+)/.exec(text)?.[1] ?? 0);
          }
          const ready = performance.now() - serveT;
          void (async () => {
            while (!(await reader.read()).done) {
              /* drain */
            }
          })();
          const peer = join(work, "peer");
          mkdirSync(peer, { recursive: true });
          const dl = measure(
            [
              BIN,
              "etcd-backup",
              "download",
              "--name",
              "big",
              "--local-endpoint",
              `127.0.0.1:${port}`,
              "--cacert",
              etcd.pki.ca,
              "--cert",
              etcd.pki.node.cert,
              "--key",
              etcd.pki.node.key,
            ],
            { env: { ...env, RKE_TOOLS_BACKUP_DIR: peer } },
          );
          serve.kill("SIGTERM");
          await serve.exited;
          const rawSize = statSync(join(backup, "big")).size;
          const same = statSync(join(peer, "big")).size === rawSize;
          rmSync(peer, { recursive: true, force: true });
          readBack = `
At ${gb(db)} GB (archive ${gb(zipBytes)} GB, ZIP64), load ${load()}:

| reader | result | time | peak RSS |
|---|---|---|---|
| \`unzip -t\` | exit ${unzip.code} | ${s(unzip.wallMs)} s | ${mib(unzip.maxRssKiB)} MiB |
| Python \`zipfile.testzip()\` | exit ${py.code} | ${s(py.wallMs)} s | ${mib(py.maxRssKiB)} MiB |
| our \`verify\` | exit ${verify.code} | ${s(verify.wallMs)} s | ${mib(verify.maxRssKiB)} MiB |
| \`serve\` until listening (extracts ${gb(rawSize)} GB) | listening | ${s(ready)} s | |
| peer \`download\` from that \`serve\` | exit ${dl.code}, ${same ? "same size" : "SIZE DIFFERS"} | ${s(dl.wallMs)} s | ${mib(dl.maxRssKiB)} MiB |
`;
        }
        fresh();
      }
    } finally {
      await etcd.stop();
      rmSync(work, { recursive: true, force: true });
      removeBucket(bucket);
    }
    const worst = perGiB.reduce((m, r) => Math.max(m, r.s3 / r.gib), 0);
    const timeouts = [1, 2, 4, 8].map((n) => `| ${n} GiB | ${Math.ceil(worst * n)} s | ${Math.max(300, Math.ceil((worst * n * 2) / 60) * 60)} |`);
    return `etcd 3.4 (Debian) with client-certificate TLS on loopback, quota 10 GiB, filled with 64 KiB
k8s-like values (old revisions kept, no compaction); the gateway is the loopback Ceph RGW. One run per
size (a run at 8 GiB takes minutes); the load average (1, 5, 15 min) is printed beside each row, since
etcd, Ceph and our process share 2 cores. Progress lines: \`Saving snapshot\` lines of the local save +
\`Uploading snapshot\` lines of the S3 save, at the default 10 s pace.${ORIGINAL ? "" : "\nThe original was not measured (set RKE_TOOLS_ORIGINAL_BIN to its binary)."}

| database | \`etcdctl snapshot save\` | \`save --once\` (zip)${ORIGINAL ? " | original `save --once`" : ""} | archive | \`save --once --s3-backup\` | progress lines | load during our save |
|---|---|---|---|---|---|---|${ORIGINAL ? "---|" : ""}
${rows.join("\n")}

Peak memory of \`save --once\` (VmHWM; the largest RssAnon sample), beside etcdctl's:

| database | peak RSS | anonymous | etcdctl peak RSS |
|---|---|---|---|
${memory.join("\n")}
${readBack}
### backup_config.timeout per database size (this machine class)

From the slowest measured rate of \`save --once --s3-backup\` (${worst.toFixed(1)} s per GiB of database,
snapshot + archive + upload on one host, at the load printed above; a busy node is slower, and
docs/etcd-backup-save.md keeps a run under load beside this one; RKE counts its timeout per host, in seconds):

| database | measured-rate estimate | \`backup_config.timeout\` to set (2× margin, at least RKE's default 300) |
|---|---|---|
${timeouts.join("\n")}
`;
  },
};
export default bench;
