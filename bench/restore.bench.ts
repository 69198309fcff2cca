/**
 * Issue 4: the restore path on a ~1 GiB snapshot.
 * - serve's time until ready (its extraction of the zip) against `unzip`;
 * - peer download throughput (our `download` and curl) from our `serve` and from nginx serving the
 *   same file over mutual TLS on loopback;
 * - peak RSS of both sides.
 * Goals: extraction ≥ 300 MB/s, download ≥ 0.8× nginx, RSS ≤ 64 MiB.
 * The snapshot and its zip (Go layout, deflate level 5 like the original) are made once and kept
 * in /var/tmp/rke-restore-bench.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { distDir } from "../compile/build.ts";
import { makePki } from "../test/support/pki.ts";
import { writeGoZip } from "../test/support/go-zip.ts";
import { median, measure, mib } from "./lib.ts";
import type { Bench } from "./run.ts";

const SIZE = 1 << 30;
const RUNS = 3;
const WORK = "/var/tmp/rke-restore-bench";
const NAME = "bench-snap";
const BIN = join(distDir("x64"), "rke-etcd-backup");

/**
 * etcd-like content: JSON records with random blobs; deflates about 2.8:1 like the spec's snapshot.
 * The last 32 bytes are the SHA-256 of the rest, as etcd writes (download checks it).
 */
async function* snapshotLike(size: number): AsyncIterable<Uint8Array> {
  const total = size - 32;
  const hash = createHash("sha256");
  for await (const b of records(total)) {
    hash.update(b);
    yield b;
  }
  yield hash.digest();
}

async function* records(total: number): AsyncIterable<Uint8Array> {
  const pool = randomBytes(8 << 20).toString("base64");
  let n = 0;
  let k = 0;
  while (n < total) {
    const parts: string[] = [];
    let len = 0;
    while (len < 1 << 20) {
      const off = (k * 7919) % (pool.length - 200);
      const s = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm-${k}","namespace":"default","resourceVersion":"${100000 + k}","labels":{"app":"demo"}},"data":{"blob":"${pool.slice(off, off + 120)}"}}\n`;
      parts.push(s);
      len += s.length;
      k++;
    }
    const b = Buffer.from(parts.join("")).subarray(0, Math.min(1 << 20, total - n));
    n += b.length;
    yield b;
  }
}

async function ensureZip(): Promise<string> {
  mkdirSync(WORK, { recursive: true });
  const zip = join(WORK, `${NAME}.zip`);
  const marker = join(WORK, "zip-with-trailer.done"); // older zips had no etcd trailer
  if (!existsSync(marker) || !existsSync(zip)) {
    await writeGoZip(zip, [{ name: `/backup/${NAME}`, data: snapshotLike(SIZE) }]);
    writeFileSync(marker, String(statSync(zip).size));
  }
  return zip;
}

interface Running {
  port: number;
  pid: number;
  hwmKiB(): number;
  stop(): Promise<void>;
}

/** Starts serve; resolves when it logs that it listens, with the wall time to get there. */
async function startServe(backup: string, pki: ReturnType<typeof makePki>): Promise<{ ms: number; s: Running }> {
  const t = performance.now();
  const proc = Bun.spawn([BIN, "etcd-backup", "serve", "--name", NAME, "--cacert", pki.ca, "--cert", pki.node.cert, "--key", pki.node.key], {
    env: { PATH: process.env.PATH, RKE_TOOLS_BACKUP_DIR: backup, RKE_TOOLS_SERVE_PORT: "0", RKE_TOOLS_SERVE_HOSTS: "127.0.0.1" },
    stdout: "ignore",
    stderr: "pipe",
  });
  let text = "";
  const dec = new TextDecoder();
  // One reader for the process's life: cancelling the pipe would break serve's log writes.
  const reader = proc.stderr.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
    const m = /on port (\d+)/.exec(text);
    if (m) {
      const ms = performance.now() - t;
      const port = Number(m[1]);
      void (async () => {
        while (!(await reader.read()).done) {
          // keep draining
        }
      })();
      return {
        ms,
        s: {
          port,
          pid: proc.pid,
          hwmKiB: () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1] ?? 0),
          stop: async () => {
            proc.kill("SIGTERM");
            await proc.exited;
          },
        },
      };
    }
  }
  throw new Error(`serve did not start: ${text}`);
}

function startNginx(dir: string, file: string, pki: ReturnType<typeof makePki>): { port: number; stop(): void } {
  const www = join(dir, "www");
  mkdirSync(www, { recursive: true });
  if (!existsSync(join(www, NAME))) linkSync(file, join(www, NAME));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `user root;
worker_processes 1;
daemon on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events {}
http {
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path ${dir}/t1; proxy_temp_path ${dir}/t2; fastcgi_temp_path ${dir}/t3; uwsgi_temp_path ${dir}/t4; scgi_temp_path ${dir}/t5;
  sendfile on;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${pki.node.cert};
    ssl_certificate_key ${pki.node.key};
    ssl_client_certificate ${pki.ca};
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    root ${www};
  }
}
`,
  );
  const r = spawnSync("nginx", ["-p", dir, "-c", conf, "-e", join(dir, "error.log")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`nginx: ${r.stderr}`);
  return {
    port,
    stop: () => {
      spawnSync("nginx", ["-p", dir, "-c", conf, "-e", join(dir, "error.log"), "-s", "stop"]);
    },
  };
}

const mbps = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(0);

function download(port: number, dest: string, pki: ReturnType<typeof makePki>) {
  rmSync(join(dest, NAME), { force: true });
  const m = measure([BIN, "etcd-backup", "download", "--name", NAME, "--local-endpoint", "127.0.0.1", "--cacert", pki.ca, "--cert", pki.node.cert, "--key", pki.node.key], {
    env: { PATH: process.env.PATH, RKE_TOOLS_BACKUP_DIR: dest, RKE_TOOLS_SERVE_PORT: String(port) },
  });
  if (m.code !== 0 || statSync(join(dest, NAME)).size !== SIZE) throw new Error(`download from port ${port} failed (${m.code})`);
  return m;
}

function curl(port: number, pki: ReturnType<typeof makePki>): number {
  const r = spawnSync(
    "curl",
    [
      "-sS",
      "--http1.1",
      "-k",
      "--cert",
      pki.client.cert,
      "--key",
      pki.client.key,
      "-o",
      "/dev/null",
      "-w",
      "%{speed_download} %{size_download}",
      `https://127.0.0.1:${port}/${NAME}`,
    ],
    { encoding: "utf8" },
  );
  const [speed, size] = r.stdout.trim().split(" ").map(Number);
  if (size !== SIZE) throw new Error(`curl got ${size} bytes: ${r.stderr}`);
  return speed! / 1e6;
}

const bench: Bench = {
  title: "Restore: serve's extraction, peer download vs nginx",
  async run() {
    const pki = makePki();
    const zip = await ensureZip();
    const zipSize = statSync(zip).size;

    // 1. serve until ready (extraction) vs unzip.
    const extractRows: string[] = [];
    const serveBackup = join(WORK, "serve");
    const serveTimes: number[] = [];
    const serveRss: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      rmSync(serveBackup, { recursive: true, force: true });
      mkdirSync(serveBackup);
      linkSync(zip, join(serveBackup, `${NAME}.zip`));
      spawnSync("sync");
      const { ms, s } = await startServe(serveBackup, pki);
      serveTimes.push(ms);
      serveRss.push(s.hwmKiB());
      await s.stop();
    }
    const unzipTimes: number[] = [];
    const unzipRss: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const out = join(WORK, "unzip");
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out);
      spawnSync("sync");
      const m = measure(["unzip", "-o", "-q", zip, "-d", out]);
      unzipTimes.push(m.wallMs);
      unzipRss.push(m.maxRssKiB);
    }
    rmSync(join(WORK, "unzip"), { recursive: true, force: true });
    extractRows.push(
      `| \`serve\` start until listening (extract, CRC, fsync, rename) | ${serveTimes.map((t) => (t / 1000).toFixed(2)).join(" / ")} s | ${mbps(SIZE, median(serveTimes))} MB/s | ${mib(Math.max(...serveRss))} MiB |`,
    );
    extractRows.push(
      `| \`unzip -o -q\` (CRC, no fsync) | ${unzipTimes.map((t) => (t / 1000).toFixed(2)).join(" / ")} s | ${mbps(SIZE, median(unzipTimes))} MB/s | ${mib(Math.max(...unzipRss))} MiB |`,
    );

    // 2. transfers: a fresh serve of the raw file (no zip: serving only), and nginx on the same file.
    const raw = join(serveBackup, NAME);
    const rawOnly = join(WORK, "serve-raw");
    rmSync(rawOnly, { recursive: true, force: true });
    mkdirSync(rawOnly);
    linkSync(raw, join(rawOnly, NAME));
    const { s } = await startServe(rawOnly, pki);
    const nginxDir = join(WORK, "nginx");
    rmSync(nginxDir, { recursive: true, force: true });
    mkdirSync(nginxDir);
    const nginx = startNginx(nginxDir, raw, pki);
    const dest = join(WORK, "peer");
    mkdirSync(dest, { recursive: true });
    const rows: string[] = [];
    try {
      // Interleaved rounds, so that a change of load hits both sides alike.
      const ours: Measured[] = [];
      const vsNginx: Measured[] = [];
      const curlOurs: number[] = [];
      const curlNginx: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        ours.push(download(s.port, dest, pki));
        vsNginx.push(download(nginx.port, dest, pki));
        curlOurs.push(curl(s.port, pki));
        curlNginx.push(curl(nginx.port, pki));
      }
      const dl = (ms: Measured[]) => ms.map((m) => mbps(SIZE, m.wallMs)).join(" / ");
      const ratio = median(ours.map((m) => SIZE / m.wallMs)) / median(vsNginx.map((m) => SIZE / m.wallMs));
      const curlRatio = median(curlOurs) / median(curlNginx);
      rows.push(`| our \`download\` ← our \`serve\` (to disk, fsync, rename) | ${dl(ours)} MB/s | ${mib(Math.max(...ours.map((m) => m.maxRssKiB)))} MiB |`);
      rows.push(`| our \`download\` ← nginx | ${dl(vsNginx)} MB/s | ${mib(Math.max(...vsNginx.map((m) => m.maxRssKiB)))} MiB |`);
      rows.push(`| curl ← our \`serve\` (to /dev/null) | ${curlOurs.map((x) => x.toFixed(0)).join(" / ")} MB/s | |`);
      rows.push(`| curl ← nginx | ${curlNginx.map((x) => x.toFixed(0)).join(" / ")} MB/s | |`);
      rows.push(`| **ratio ours / nginx** | download ${ratio.toFixed(2)}×, curl ${curlRatio.toFixed(2)}× | |`);
      rows.push(`| \`serve\` peak RSS while serving (VmHWM after ${ours.length + curlOurs.length} transfers) | | ${mib(s.hwmKiB())} MiB |`);
    } finally {
      await s.stop();
      nginx.stop();
      rmSync(dest, { recursive: true, force: true });
    }

    return `Snapshot: ${SIZE} bytes of etcd-like JSON, zipped in the original's Go layout at deflate level 5:
${zipSize} bytes (ratio ${(SIZE / zipSize).toFixed(2)}). ${RUNS} runs each, back to back, on the shared 2-core machine
(load average at the start: ${loadavg()[0]!.toFixed(2)}; compare within the table). Max RSS from GNU time or
/proc VmHWM. Goals (issue 4): extraction ≥ 300 MB/s, download ≥ 0.8× nginx, RSS ≤ 64 MiB.

### Extraction (serve's time until ready)

| what | wall (each run) | MB/s of snapshot (median) | peak RSS |
|---|---|---|---|
${extractRows.join("\n")}

The original took 10-12 s for 1.19 GB here (≈ 110 MB/s, docs/contract.md §o-13).

### Peer download over mutual TLS on loopback

Same file, same client certificate; our \`download\` includes its process start, fsync and rename.

| transfer | MB/s (each run) | peak RSS (client) |
|---|---|---|
${rows.join("\n")}
`;
  },
};

type Measured = ReturnType<typeof measure>;
export default bench;
