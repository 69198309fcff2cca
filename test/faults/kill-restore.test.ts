/**
 * Kill -9 at random points of the restore path: serve's extraction of `/backup/<name>` from the
 * zip, a peer's `download --local-endpoint` (from serve, and from a hostile peer), and `extractstatefile`. After each kill: every final
 * name is complete (invariants.ts); the next run succeeds and leaves no temporary file.
 * Replay: RKE_TOOLS_FAULT_SEED=<seed printed in the test names> bun test/run.ts test/faults
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type Server, type TLSSocket } from "node:tls";
import { join } from "node:path";
import { runTool, spawnTool, type SpawnedTool } from "../support/bin.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { makePki, type Pki } from "../support/pki.ts";
import { writeTarFile } from "../archive/tar-helpers.ts";
import { snapshotBytes, stateJson, writeZip } from "./fixtures.ts";
import { at, killDuring, SEED, suiteRng, Tally, until, type Progress } from "./harness.ts";
import { checkDir, checkTools } from "./invariants.ts";

const SERVE_RUNS = 15;
const TAR_RUNS = 10;
const PEER_RUNS = 15;
const STATE_RUNS = 10;
const HOSTILE_RUNS = 10;
const SNAP_BYTES = 24 << 20; // big enough that extraction and transfer take a while, small enough to stay quick
const name = "c-abc12-rs-x_2026-11-21T04:51:14Z"; // ':' in the name, as Rancher makes them

interface Node {
  root: string;
  backup: string;
  tmp: string;
  env: Record<string, string | undefined>;
}

function node(root: string): Node {
  const backup = join(root, "backup");
  const tmp = join(root, "tmp");
  for (const d of [backup, join(root, "kubernetes"), tmp]) mkdirSync(d, { recursive: true });
  const env = {
    PATH: process.env.PATH,
    RKE_TOOLS_BACKUP_DIR: backup,
    RKE_TOOLS_KUBERNETES_DIR: join(root, "kubernetes"),
    RKE_TOOLS_TMP_DIR: tmp,
    RKE_TOOLS_SERVE_PORT: "0",
    RKE_TOOLS_SERVE_HOSTS: "127.0.0.1",
  };
  return { root, backup, tmp, env };
}

const isRaw = (n: string) => n === name;

describeWith([...checkTools, hasCommand("python3", "apt-get install python3")], `kill -9 during restore (seed ${SEED})`, () => {
  let root: string;
  let pki: Pki;
  let zip: string; // the archive every run starts from (hard-linked into each run's /backup)
  let snap: Buffer;
  let certs: string[];
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "rke-faults-restore-"));
    pki = makePki();
    certs = ["--cacert", pki.ca, "--cert", pki.node.cert, "--key", pki.node.key];
    snap = snapshotBytes(SNAP_BYTES);
    zip = join(root, `${name}.zip`);
    writeZip(zip, [
      [`/backup/${name}`, snap],
      [`/etc/kubernetes/${name}.rkestate`, stateJson(2 << 20)],
    ]);
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** Starts serve and resolves once it listens (its port), or throws with its output. */
  async function serving(n: Node): Promise<{ child: SpawnedTool; port: number }> {
    const child = spawnTool("rke-etcd-backup", ["etcd-backup", "serve", "--name", name, ...certs], { env: n.env });
    const up = await until(child, () => /msg="Serving .* on port \d+"/.test(child.stderr()));
    if (!up) throw new Error(`serve did not start: ${(await child.done).stderr}`);
    return { child, port: Number(/on port (\d+)/.exec(child.stderr())![1]) };
  }

  describe("serve's extraction", () => {
    const r = suiteRng("serve");
    const tally = new Tally();
    afterAll(() => process.stderr.write(tally.summary("serve's extraction") + "\n"));
    const plan = Array.from({ length: SERVE_RUNS }, (_, i) => {
      // Run 0 kills right after spawn: on a quiet machine every random point may come after the end, and "kills landed" must not hang on load.
      const point = i === 0 ? "start" : r.pick(["start", "temp", "temp-half", "final", "serving"] as const);
      const delayMs = i === 0 ? 0 : point === "start" ? r.int(0, 200) : point === "temp" ? r.int(0, 60) : r.int(0, 3);
      return { i, point, delayMs, stale: r.next() < 0.3 };
    });
    for (const p of plan) {
      test(`run ${p.i}: SIGKILL at ${p.point} + ${p.delayMs} ms${p.stale ? ", over a stale raw file" : ""}`, async () => {
        const n = node(join(root, `serve-${p.i}`));
        linkSync(zip, join(n.backup, `${name}.zip`));
        if (p.stale) writeFileSync(join(n.backup, name), snapshotBytes(1 << 20)); // an older complete raw file
        const progress: Progress = {
          start: at.start(),
          temp: at.temp(n.backup),
          "temp-half": at.tempBytes(n.backup, SNAP_BYTES / 2),
          final: at.when(() => statSync(join(n.backup, name), { throwIfNoEntry: false })?.size === snap.byteLength),
          serving: at.log('msg="Serving'),
        }[p.point];
        const o = await killDuring("rke-etcd-backup", ["etcd-backup", "serve", "--name", name, ...certs], { env: n.env, progress, point: p.point, delayMs: p.delayMs });
        tally.add(o);
        expect(o.killed).toBe(true); // serve runs until killed
        expect(checkDir(n.backup, { raw: isRaw }).problems).toEqual([]);
        const next = await serving(n);
        next.child.proc.kill("SIGTERM");
        await next.child.done;
        expect(checkDir(n.backup, { raw: isRaw })).toEqual({ finals: [name, `${name}.zip`], temps: [], problems: [] });
        expect(readFileSync(join(n.backup, name)).equals(snap)).toBe(true);
        rmSync(n.root, { recursive: true, force: true });
      }, 30_000);
    }
    test("every run was killed", () => expect([tally.rows.length, tally.killed]).toEqual([SERVE_RUNS, SERVE_RUNS]));
  });

  describe("serve's extraction from a tar.zst", () => {
    const r = suiteRng("serve tar.zst");
    const tally = new Tally();
    let tar: string;
    beforeAll(async () => {
      tar = join(root, `${name}.tar.zst`);
      await writeTarFile(tar, "zstd", [
        { name: `etc/kubernetes/${name}.rkestate`, mode: 0o600, data: Buffer.from(stateJson(1 << 20)) },
        { name: `backup/${name}`, mode: 0o600, data: snap },
      ]);
    });
    afterAll(() => process.stderr.write(tally.summary("serve's extraction from a tar.zst") + "\n"));
    const plan = Array.from({ length: TAR_RUNS }, (_, i) => {
      const point = i === 0 ? "start" : r.pick(["start", "temp", "temp-half", "final"] as const);
      const delayMs = i === 0 ? 0 : point === "start" ? r.int(0, 200) : point === "temp" ? r.int(0, 60) : r.int(0, 3);
      return { i, point, delayMs };
    });
    for (const p of plan) {
      test(`run ${p.i}: SIGKILL at ${p.point} + ${p.delayMs} ms`, async () => {
        const n = node(join(root, `serve-tar-${p.i}`));
        linkSync(tar, join(n.backup, `${name}.tar.zst`));
        const progress: Progress = {
          start: at.start(),
          temp: at.temp(n.backup),
          "temp-half": at.tempBytes(n.backup, SNAP_BYTES / 2),
          final: at.when(() => statSync(join(n.backup, name), { throwIfNoEntry: false })?.size === snap.byteLength),
        }[p.point];
        const o = await killDuring("rke-etcd-backup", ["etcd-backup", "serve", "--name", name, ...certs], { env: n.env, progress, point: p.point, delayMs: p.delayMs });
        tally.add(o);
        expect(o.killed).toBe(true); // serve runs until killed
        const ignore = [`${name}.tar.zst`];
        expect(checkDir(n.backup, { raw: isRaw, ignore }).problems).toEqual([]);
        const next = await serving(n);
        next.child.proc.kill("SIGTERM");
        await next.child.done;
        expect(checkDir(n.backup, { raw: isRaw, ignore })).toEqual({ finals: [name], temps: [], problems: [] });
        expect(readFileSync(join(n.backup, name)).equals(snap)).toBe(true);
        rmSync(n.root, { recursive: true, force: true });
      }, 30_000);
    }
    test("every run was killed", () => expect([tally.rows.length, tally.killed]).toEqual([TAR_RUNS, TAR_RUNS]));
  });

  describe("download --local-endpoint (peer)", () => {
    const r = suiteRng("peer download");
    const tally = new Tally();
    let src: Node;
    let server: { child: SpawnedTool; port: number };
    beforeAll(async () => {
      src = node(join(root, "peer-src"));
      writeFileSync(join(src.backup, name), snap);
      server = await serving(src);
    }, 30_000);
    afterAll(async () => {
      process.stderr.write(tally.summary("peer download") + "\n");
      server?.child.proc.kill("SIGTERM");
      await server?.child.done;
    });
    const plan = Array.from({ length: PEER_RUNS }, (_, i) => {
      const point = i === 0 ? "start" : r.pick(["start", "temp", "bytes", "final"] as const);
      const delayMs = i === 0 ? 0 : point === "start" ? r.int(0, 200) : point === "temp" ? r.int(0, 60) : r.int(0, 3);
      return { i, point, delayMs, fraction: r.next() };
    });
    for (const p of plan) {
      const what = p.point === "bytes" ? `${Math.round(p.fraction * 100)}% received` : p.point;
      test(`run ${p.i}: SIGKILL at ${what} + ${p.delayMs} ms`, async () => {
        const n = node(join(root, `peer-${p.i}`));
        const env = { ...n.env, RKE_TOOLS_SERVE_PORT: String(server.port) };
        const args = ["etcd-backup", "download", "--name", name, "--local-endpoint", "127.0.0.1", ...certs];
        const progress: Progress = {
          start: at.start(),
          temp: at.temp(n.backup),
          bytes: at.tempBytes(n.backup, Math.max(1, Math.floor(p.fraction * SNAP_BYTES))),
          final: at.file(join(n.backup, name)),
        }[p.point];
        const o = await killDuring("rke-etcd-backup", args, { env, progress, point: p.point, delayMs: p.delayMs });
        tally.add(o);
        if (!o.killed) expect(o.code).toBe(0);
        expect(checkDir(n.backup, { raw: isRaw }).problems).toEqual([]);
        const next = await runTool("rke-etcd-backup", args, { env });
        expect(next.code).toBe(0);
        expect(checkDir(n.backup, { raw: isRaw })).toEqual({ finals: [name], temps: [], problems: [] });
        rmSync(n.root, { recursive: true, force: true });
      }, 30_000);
    }
    test("every run was checked, and kills landed", () => {
      expect(tally.rows.length).toBe(PEER_RUNS);
      expect(tally.killed).toBeGreaterThan(0);
    });
  });

  // Issue 19.2: whatever a hostile peer sends and wherever the download dies, no final name appears.
  describe("download --local-endpoint from a hostile peer", () => {
    const r = suiteRng("hostile peer");
    const tally = new Tally();
    let hostile: Server;
    let port = 0;
    const kinds = ["bad-trailer", "html", "cut-chunked", "no-length"] as const;
    type Kind = (typeof kinds)[number];
    const answer = (kind: Kind, sock: TLSSocket) => {
      const head = (lines: string[]) => Buffer.from(`HTTP/1.1 200 OK\r\n${[...lines, "Connection: close"].join("\r\n")}\r\n\r\n`);
      if (kind === "html") {
        const html = "<html><body>Welcome to nginx!</body></html>";
        return sock.end(Buffer.concat([head(["Content-Type: text/html", `Content-Length: ${html.length}`]), Buffer.from(html)]));
      }
      if (kind === "no-length") return sock.end(Buffer.concat([head([]), snap]));
      if (kind === "cut-chunked") {
        const part = snap.subarray(0, Math.floor(snap.length * 0.6));
        return sock.end(Buffer.concat([head(["Transfer-Encoding: chunked"]), Buffer.from(`${snap.length.toString(16)}\r\n`), part]));
      }
      const bad = Buffer.from(snap);
      bad[bad.length - 1]! ^= 1; // the trailer no longer matches
      sock.end(Buffer.concat([head([`Content-Length: ${bad.length}`]), bad]));
    };
    let next: Kind = "html";
    beforeAll(async () => {
      hostile = createServer({ key: pki.read(pki.node.key), cert: pki.read(pki.node.cert), ca: pki.read(pki.ca), requestCert: true, rejectUnauthorized: true }, (sock) => {
        sock.on("error", () => {});
        sock.once("data", () => answer(next, sock));
      });
      await new Promise<void>((res) => hostile.listen(0, "127.0.0.1", res));
      port = (hostile.address() as { port: number }).port;
    });
    afterAll(() => {
      process.stderr.write(tally.summary("hostile peer") + "\n");
      hostile?.close();
    });
    const plan = Array.from({ length: HOSTILE_RUNS }, (_, i) => {
      const point = i === 0 ? "start" : r.pick(["start", "temp", "bytes"] as const);
      const delayMs = i === 0 ? 0 : point === "start" ? r.int(0, 200) : point === "temp" ? r.int(0, 60) : r.int(0, 3);
      return { i, kind: r.pick(kinds), point, delayMs, fraction: r.next() };
    });
    for (const p of plan) {
      const what = p.point === "bytes" ? `${Math.round(p.fraction * 100)}% received` : p.point;
      test(`run ${p.i}: ${p.kind}, SIGKILL at ${what} + ${p.delayMs} ms`, async () => {
        const n = node(join(root, `hostile-${p.i}`));
        next = p.kind;
        const env = { ...n.env, RKE_TOOLS_SERVE_PORT: String(port) };
        const args = ["etcd-backup", "download", "--name", name, "--local-endpoint", "127.0.0.1", ...certs];
        const progress: Progress = { start: at.start(), temp: at.temp(n.backup), bytes: at.tempBytes(n.backup, Math.max(1, Math.floor(p.fraction * SNAP_BYTES * 0.6))) }[p.point];
        const o = await killDuring("rke-etcd-backup", args, { env, progress, point: p.point, delayMs: p.delayMs });
        tally.add(o);
        if (!o.killed) {
          expect(o.code).toBe(1);
          expect(o.stderr).toContain("backup download failed:");
        }
        expect(checkDir(n.backup, { raw: isRaw }).finals).toEqual([]); // never a final name
        expect(checkDir(n.backup, { raw: isRaw }).problems).toEqual([]);
        rmSync(n.root, { recursive: true, force: true });
      }, 30_000);
    }
    test("every run was checked", () => expect(tally.rows.length).toBe(HOSTILE_RUNS));
  });

  describe("extractstatefile", () => {
    const r = suiteRng("extractstatefile");
    const tally = new Tally();
    afterAll(() => process.stderr.write(tally.summary("extractstatefile") + "\n"));
    const plan = Array.from({ length: STATE_RUNS }, (_, i) => {
      const point = i === 0 ? "start" : r.pick(["start", "temp", "final"] as const);
      const delayMs = i === 0 ? 0 : point === "start" ? r.int(0, 200) : r.int(0, 3);
      return { i, point, delayMs };
    });
    for (const p of plan) {
      test(`run ${p.i}: SIGKILL at ${p.point} + ${p.delayMs} ms`, async () => {
        const n = node(join(root, `state-${p.i}`));
        linkSync(zip, join(n.backup, `${name}.zip`));
        writeFileSync(join(n.tmp, "cluster.rkestate"), stateJson(1024)); // a complete older one
        const args = ["etcd-backup", "extractstatefile", "--name", name];
        const progress: Progress = { start: at.start(), temp: at.temp(n.tmp), final: at.log("Successfully extracted") }[p.point];
        const o = await killDuring("rke-etcd-backup", args, { env: n.env, progress, point: p.point, delayMs: p.delayMs });
        tally.add(o);
        if (!o.killed) expect(o.code).toBe(0);
        expect(checkDir(n.tmp).problems).toEqual([]);
        expect(checkDir(n.backup).problems).toEqual([]);
        const next = await runTool("rke-etcd-backup", args, { env: n.env });
        expect(next.code).toBe(0);
        expect(checkDir(n.tmp)).toEqual({ finals: ["cluster.rkestate"], temps: [], problems: [] });
        rmSync(n.root, { recursive: true, force: true });
      }, 30_000);
    }
    test("some runs were killed", () => expect(tally.killed).toBeGreaterThan(0));
  });
});
