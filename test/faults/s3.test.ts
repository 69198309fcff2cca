/**
 * S3 faults through the compiled binary (the library-level cases, multipart parts and stalls with
 * short limits, are in test/s3/faults.test.ts): the real gateway behind a loopback fault-injecting
 * proxy (test/support/fault-proxy.ts) during `save --once --s3-backup` uploads and
 * `extractstatefile --s3-backup` downloads, and kill -9 at random points of those and of
 * `download --s3-backup` (download, then extraction of `/backup/<name>`). Outcomes: success,
 * or exit 1 with RKE's phrase on the last line; the local zip is never removed or damaged; nothing
 * partial under a final name; no multipart upload left open.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lastLine, runTool } from "../support/bin.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { etcdComponents, startEtcd, type EtcdServer } from "../support/etcd.ts";
import { FaultProxy } from "../support/fault-proxy.ts";
import { createBucket, gateway, headObject, openUploads, putObject, removeBucket, s3Gateway } from "../support/s3.ts";
import { declareSecret } from "../support/secrets.ts";
import { snapshotBytes, stateJson, writeZip } from "./fixtures.ts";
import { at, killDuring, SEED, suiteRng, Tally, type Progress } from "./harness.ts";
import { checkDir, checkTools } from "./invariants.ts";

setDefaultTimeout(60_000);

const UPLOAD_KILLS = 10;
const DOWNLOAD_KILLS = 10;
const DOWNLOAD_CMD_KILLS = 10;
const DL_NAME = "c-abc12-rs-dl_2026-11-21T04:51:14Z";
const b64 = (s: string) => Buffer.from(s).toString("base64");
const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

describeWith([...etcdComponents, s3Gateway, ...checkTools, hasCommand("python3", "apt-get install python3")], `S3 faults through the binary (seed ${SEED})`, () => {
  let etcd: EtcdServer;
  let proxy: FaultProxy;
  let bucket: string;
  let root: string;
  let zip: string;
  let n = 0;
  const node = () => {
    const base = join(root, `n${n++}`);
    const [backup, kubernetes, tmp] = ["backup", "kubernetes", "tmp"].map((d) => join(base, d));
    for (const d of [backup!, kubernetes!, tmp!]) mkdirSync(d, { recursive: true });
    const env = {
      PATH: process.env.PATH,
      RKE_TOOLS_BACKUP_DIR: backup,
      RKE_TOOLS_KUBERNETES_DIR: kubernetes,
      RKE_TOOLS_TMP_DIR: tmp,
      S3_ACCESS_KEY: b64(gateway().accessKey),
      S3_SECRET_KEY: b64(gateway().secretKey),
    };
    return { base, backup: backup!, tmp: tmp!, env };
  };
  const s3Args = (more: string[] = []) => ["--s3-backup=true", `--s3-endpoint=${proxy.endpoint}`, "--s3-plain-http", `--s3-bucketName=${bucket}`, "--s3-region=", ...more];
  const isPut = (key: string) => (r: { method: string; target: string }) => r.method === "PUT" && r.target.startsWith(`/${bucket}/${key}`);
  const isGet = (key: string) => (r: { method: string; target: string }) => r.method === "GET" && decodeURIComponent(r.target.split("?")[0]!) === `/${bucket}/${key}`;

  beforeAll(async () => {
    declareSecret(gateway().accessKey, gateway().secretKey);
    root = mkdtempSync(join(tmpdir(), "rke-faults-s3-"));
    etcd = await startEtcd();
    await etcd.fill(3 * 2 ** 20);
    const [host, port] = gateway().httpEndpoint.split(":");
    proxy = await FaultProxy.start(host!, Number(port));
    bucket = createBucket();
    // The object every download case fetches (written by Python's zipfile, put with curl).
    zip = join(root, `${DL_NAME}.zip`);
    writeZip(zip, [
      [`/backup/${DL_NAME}`, snapshotBytes(16 << 20)],
      [`/etc/kubernetes/${DL_NAME}.rkestate`, stateJson(64 * 1024)],
    ]);
    putObject(bucket, `${DL_NAME}.zip`, zip, [`x-amz-meta-sha256: ${sha(zip)}`]);
  }, 60_000);
  beforeEach(() => proxy.clear());
  afterAll(async () => {
    await proxy?.close();
    await etcd?.stop();
    if (bucket) removeBucket(bucket);
    rmSync(root, { recursive: true, force: true });
  }, 120_000);

  describe("upload (save --once --s3-backup)", () => {
    const cases: [string, Omit<Parameters<FaultProxy["inject"]>[0], "match">, string[]][] = [
      ["a 503 on the PUT, default --s3-retries (0)", { action: "503" }, []],
      ["a 503 on the PUT, --s3-retries=1", { action: "503" }, ["--s3-retries=1"]],
      ["a connection reset mid-body, --s3-retries=1", { action: "reset", afterBytes: 256 * 1024 }, ["--s3-retries=1"]],
    ];
    for (const [i, [what, fault, flags]] of cases.entries()) {
      test(`${what}: retried, uploaded, the local zip kept`, async () => {
        const d = node();
        const name = `up-${i}-${fault.action}`;
        proxy.inject({ match: isPut(`${name}.zip`), ...fault });
        const r = await runTool("rke-etcd-backup", ["etcd-backup", "save", "--once", "--name", name, ...etcd.flags, ...s3Args(flags)], { env: d.env });
        expect(r.code).toBe(0);
        expect(proxy.faultsFired()).toHaveLength(1);
        expect(proxy.seen.filter(isPut(`${name}.zip`))).toHaveLength(2);
        expect(checkDir(d.backup)).toEqual({ finals: [`${name}.zip`], temps: [], problems: [] });
        expect(headObject(bucket, `${name}.zip`).headers["x-amz-meta-sha256"]).toBe(sha(join(d.backup, `${name}.zip`)));
        expect(openUploads(bucket)).toEqual([]);
      });
    }

    test("a PUT that keeps failing: retried per policy, RKE's phrase last, the local zip kept, nothing in the bucket", async () => {
      const d = node();
      proxy.inject({ match: isPut("doomed.zip"), action: "503", times: Infinity });
      const r = await runTool("rke-etcd-backup", ["etcd-backup", "save", "--once", "--name", "doomed", ...etcd.flags, ...s3Args(["--s3-retries=1"])], { env: d.env });
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(/level=fatal msg="failed to upload etcd snapshot file: .*Please reduce your request rate/);
      // 1 + --s3-retries whole attempts, each PUT with a part's 4 attempts (src/s3/upload.ts DEFAULT_PART_RETRY).
      expect(proxy.seen.filter(isPut("doomed.zip")).length).toBe(2 * 4);
      expect(checkDir(d.backup)).toEqual({ finals: ["doomed.zip"], temps: [], problems: [] });
      expect(headObject(bucket, "doomed.zip").status).toBe(404);
      expect(openUploads(bucket)).toEqual([]);
    });
  });

  describe("download (extractstatefile --s3-backup)", () => {
    const name = DL_NAME;
    const run = (d: ReturnType<typeof node>) => runTool("rke-etcd-backup", ["etcd-backup", "extractstatefile", "--name", name, ...s3Args()], { env: d.env });

    const cases: [string, Omit<Parameters<FaultProxy["inject"]>[0], "match">][] = [
      ["a connection reset mid-body", { action: "reset-response", afterBytes: 3 << 20 }],
      ["a 503 on the GET", { action: "503" }],
    ];
    for (const [what, fault] of cases) {
      test(`${what}: resumed or retried, verified, the state file extracted`, async () => {
        const d = node();
        proxy.inject({ match: isGet(`${name}.zip`), ...fault });
        const r = await run(d);
        expect(r.code).toBe(0);
        expect(proxy.faultsFired()).toHaveLength(1);
        expect(checkDir(d.backup, { raw: (f) => f === name })).toEqual({ finals: [name, `${name}.zip`], temps: [], problems: [] });
        expect(sha(join(d.backup, `${name}.zip`))).toBe(sha(zip));
        expect(checkDir(d.tmp)).toEqual({ finals: ["cluster.rkestate"], temps: [], problems: [] });
      });
    }

    test("a corrupted body: the digest check fails it, one clear last line, nothing written", async () => {
      const d = node();
      proxy.inject({ match: isGet(`${name}.zip`), action: "corrupt-response", afterBytes: 1 << 20 });
      const r = await run(d);
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(/level=fatal msg=".*failed to download s3 backup: .*was recorded at upload/);
      expect(readdirSync(d.backup)).toEqual([]);
      expect(readdirSync(d.tmp)).toEqual([]);
    });
  });

  describe("kill -9", () => {
    test.each(planUploads())("upload run %#: SIGKILL at %s + %i ms", async (point, delayMs) => {
      const d = node();
      const name = `kill-up-${n}`;
      const args = ["etcd-backup", "save", "--once", "--name", name, ...etcd.flags, ...s3Args()];
      const progress: Progress = { created: at.log('msg="Created local backup"'), uploading: at.log("invoking uploading backup file") }[point]!;
      const o = await killDuring("rke-etcd-backup", args, { env: d.env, progress, point, delayMs });
      uploadTally.add(o);
      if (!o.killed) expect(o.code).toBe(0);
      expect(checkDir(d.backup).problems).toEqual([]);
      const next = await runTool("rke-etcd-backup", args, { env: d.env });
      expect(next.code).toBe(0);
      expect(checkDir(d.backup)).toEqual({ finals: [`${name}.zip`], temps: [], problems: [] });
      expect(headObject(bucket, `${name}.zip`).status).toBe(200);
      expect(openUploads(bucket)).toEqual([]); // below the multipart threshold: one PUT, nothing to leave open
    });

    test.each(planDownloads())("download run %#: SIGKILL at %s + %i ms", async (point, delayMs, fraction) => {
      const name = DL_NAME;
      const d = node();
      const args = ["etcd-backup", "extractstatefile", "--name", name, ...s3Args()];
      const progress: Progress = {
        start: at.start(),
        temp: at.temp(d.backup),
        bytes: at.tempBytes(d.backup, Math.max(1, Math.floor((fraction as number) * (8 << 20)))),
        final: at.file(join(d.backup, `${name}.zip`)),
      }[point as string]!;
      const o = await killDuring("rke-etcd-backup", args, { env: d.env, progress, point: point as string, delayMs: delayMs as number });
      downloadTally.add(o);
      if (!o.killed) expect(o.code).toBe(0);
      expect(checkDir(d.backup, { raw: (f) => f === name }).problems).toEqual([]);
      expect(checkDir(d.tmp).problems).toEqual([]);
      const next = await runTool("rke-etcd-backup", args, { env: d.env });
      expect(next.code).toBe(0);
      expect(checkDir(d.backup, { raw: (f) => f === name })).toEqual({ finals: [name, `${name}.zip`], temps: [], problems: [] });
      expect(checkDir(d.tmp)).toEqual({ finals: ["cluster.rkestate"], temps: [], problems: [] });
    });

    test.each(planDownloadCmd())("download --s3-backup run %#: SIGKILL at %s + %i ms", async (point, delayMs) => {
      const name = DL_NAME;
      const d = node();
      const args = ["etcd-backup", "download", "--name", name, ...s3Args()];
      const progress: Progress = {
        start: at.start(),
        "zip-temp": at.temp(d.backup),
        extracting: at.log("Decompressing etcd snapshot file"),
        final: at.file(join(d.backup, name)),
      }[point]!;
      const o = await killDuring("rke-etcd-backup", args, { env: d.env, progress, point, delayMs });
      downloadCmdTally.add(o);
      if (!o.killed) expect(o.code).toBe(0);
      expect(checkDir(d.backup, { raw: (f) => f === name }).problems).toEqual([]);
      const next = await runTool("rke-etcd-backup", args, { env: d.env });
      expect(next.code).toBe(0);
      expect(checkDir(d.backup, { raw: (f) => f === name })).toEqual({ finals: [name, `${name}.zip`], temps: [], problems: [] });
    });

    afterAll(() => {
      process.stderr.write([uploadTally.summary("S3 upload"), downloadTally.summary("S3 download"), downloadCmdTally.summary("download --s3-backup")].join("\n") + "\n");
    });
    test("the kills landed", () => {
      expect(uploadTally.rows.length + downloadTally.rows.length + downloadCmdTally.rows.length).toBe(UPLOAD_KILLS + DOWNLOAD_KILLS + DOWNLOAD_CMD_KILLS);
      expect(uploadTally.killed + downloadTally.killed + downloadCmdTally.killed).toBeGreaterThan(0); // how many land before the end depends on load
    });
  });
});

const uploadTally = new Tally();
const downloadTally = new Tally();
const downloadCmdTally = new Tally();

function planUploads(): [string, number][] {
  const r = suiteRng("s3 upload");
  return Array.from({ length: UPLOAD_KILLS }, () => {
    const point = r.pick(["created", "uploading"]);
    return [point, r.int(0, point === "created" ? 60 : 30)];
  });
}

function planDownloads(): [string, number, number][] {
  const r = suiteRng("s3 download");
  return Array.from({ length: DOWNLOAD_KILLS }, () => {
    const point = r.pick(["start", "temp", "bytes", "final"]);
    return [point, point === "start" ? r.int(0, 300) : point === "temp" ? r.int(0, 60) : r.int(0, 3), r.next()];
  });
}

function planDownloadCmd(): [string, number][] {
  const r = suiteRng("download --s3-backup");
  return Array.from({ length: DOWNLOAD_CMD_KILLS }, () => {
    const point = r.pick(["start", "zip-temp", "extracting", "final"]);
    return [point, point === "start" ? r.int(0, 300) : point === "final" ? r.int(0, 3) : r.int(0, 60)];
  });
}
