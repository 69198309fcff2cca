import { afterAll, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "../../src/log/logger.ts";
import { retryPolicy } from "../../src/retry/policy.ts";
import { createS3Client, type S3Client } from "../../src/s3/client.ts";
import { s3ConfigFromFlags } from "../../src/tools/etcd-backup/s3-flags.ts";
import { downloadSnapshot } from "../../src/snapshot/stores/s3-snapshots.ts";
import { uploadSnapshot } from "../../src/snapshot/stores/s3-snapshots.ts";
import type { UploadOptions } from "../../src/s3/upload.ts";
import { describeWith } from "../support/components.ts";
import { FaultProxy } from "../support/fault-proxy.ts";
import { captureLog, createBucket, gateway, gatewayFlags, headObject, openUploads, putObject, removeBucket, s3Gateway } from "../support/s3.ts";

// Real network transfers on a shared 2-core machine: generous limits (nothing here asserts on time).
setDefaultTimeout(60_000);

const MIB = 1024 * 1024;
const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
const isPart = (n: number) => (r: { method: string; target: string }) => r.method === "PUT" && r.target.includes(`partNumber=${n}&`);
const isGet = (r: { method: string; target: string }) => r.method === "GET" && !r.target.includes("?");

describeWith([s3Gateway], "S3 transfers through a fault-injecting proxy", () => {
  const dir = mkdtempSync(join(tmpdir(), "s3-faults-"));
  let proxy: FaultProxy;
  let bucket: string;
  let archive: string;
  let client: S3Client;
  // Fast retries and short stall limits: the faults are injected, so waiting long proves nothing.
  const fast: UploadOptions = {
    multipartThreshold: 5 * MIB,
    partSize: 5 * MIB,
    concurrency: 2,
    partTimeoutMs: 3000,
    partRetry: retryPolicy({ attempts: 3, delayMs: 50 }),
  };

  beforeAll(async () => {
    const [host, port] = gateway().httpEndpoint.split(":");
    proxy = await FaultProxy.start(host!, Number(port));
    bucket = createBucket();
    archive = join(dir, "snap.zip");
    writeFileSync(archive, randomBytes(17 * MIB + 333));
    client = await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket, { "s3-endpoint": proxy.endpoint, "s3-endpoint-ca": "", "s3-plain-http": true }), {}));
  });
  beforeEach(() => proxy.clear());
  afterAll(async () => {
    await proxy.close();
    removeBucket(bucket);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  describe("upload", () => {
    const cases: [string, Parameters<FaultProxy["inject"]>[0]][] = [
      ["503 on a part", { match: isPart(2), action: "503" }],
      ["connection reset mid-part", { match: isPart(3), action: "reset", afterBytes: 2 * MIB }],
      ["connection stalled mid-part", { match: isPart(1), action: "stall", afterBytes: 1 * MIB }],
    ];
    for (const [what, rule] of cases) {
      test(`${what}: the part is retried and the object is complete`, async () => {
        const key = `up-${rule.action}.zip`;
        proxy.inject(rule);
        const r = await uploadSnapshot(client, archive, key, fast);
        expect(proxy.faultsFired()).toHaveLength(1);
        expect(r.parts).toBe(4);
        expect(headObject(bucket, key).headers["content-length"]).toBe(String(17 * MIB + 333));
        const out = mkdtempSync(join(dir, "dl-"));
        expect(sha(await downloadSnapshot(client, `up-${rule.action}`, out))).toBe(sha(archive));
        expect(openUploads(bucket)).toEqual([]);
      });
    }

    test("a part stalled while the others finish is sent again long before its ceiling", async () => {
      proxy.inject({ match: isPart(3), action: "stall", afterBytes: 1 * MIB });
      const { log, lines } = captureLog();
      const watched = await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket, { "s3-endpoint": proxy.endpoint, "s3-endpoint-ca": "", "s3-plain-http": true }), {}), { log });
      // A ceiling the test would time out on (60 s): only the watchdog can finish this in time.
      const r = await uploadSnapshot(watched, archive, "watched.zip", { ...fast, partTimeoutMs: 120_000, stall: { minMs: 300, factor: 4 } });
      expect(proxy.faultsFired()).toHaveLength(1);
      expect(r.parts).toBe(4);
      expect(lines.join("")).toMatch(/uploading part 3\/4 of \[watched\.zip\] failed, retrying.*part 3 of \[watched\.zip\] stalled: not done after/);
      expect(headObject(bucket, "watched.zip").headers["content-length"]).toBe(String(17 * MIB + 333));
      expect(openUploads(bucket)).toEqual([]);
    });

    test("a part that keeps failing: RKE's phrase, the upload aborted, the local file kept", async () => {
      proxy.inject({ match: isPart(2), action: "503", times: Infinity });
      const err = await uploadSnapshot(client, archive, "doomed.zip", fast).catch((e) => e);
      expect(err.message).toStartWith("failed to upload etcd snapshot file: ");
      expect(err.message).toContain("Please reduce your request rate");
      expect(openUploads(bucket)).toEqual([]);
      expect(headObject(bucket, "doomed.zip").status).toBe(404);
      expect(existsSync(archive)).toBe(true);
      expect(proxy.seen.some((r) => r.method === "DELETE" && r.target.includes("uploadId="))).toBe(true);
    });

    test("stopped by a signal mid-upload (SIGTERM): the multipart upload is aborted, nothing left open", async () => {
      proxy.inject({ match: isPart(2), action: "stall", afterBytes: 1 * MIB });
      const stop = new AbortController();
      const pending = uploadSnapshot(client, archive, "stopped.zip", { ...fast, partTimeoutMs: 60_000, signal: stop.signal }).catch((e) => e);
      const deadline = Date.now() + 30_000;
      while (!proxy.faultsFired().length && Date.now() < deadline) await Bun.sleep(20);
      stop.abort(new Error("received SIGTERM"));
      const err = await pending;
      expect(err.code).toBe("E_ABORTED");
      expect(openUploads(bucket)).toEqual([]);
      expect(headObject(bucket, "stopped.zip").status).toBe(404);
    });

    test("--s3-retries retries the whole upload after a failed attempt", async () => {
      proxy.inject({ match: isPart(1), action: "503", times: 3 }); // exhausts the part retries of attempt 1 only
      const r = await uploadSnapshot(client, archive, "whole.zip", { ...fast, retry: retryPolicy({ attempts: 2, delayMs: 10, retryOn: () => true }) });
      expect(r.skipped).toBe(false);
      expect(proxy.seen.filter((s) => s.method === "POST" && s.target.endsWith("?uploads="))).toHaveLength(2);
      expect(openUploads(bucket)).toEqual([]);
    });
  });

  describe("download", () => {
    beforeAll(() => putObject(bucket, "dl.zip", archive, [`x-amz-meta-sha256: ${sha(archive)}`]));
    const cases: [string, Parameters<FaultProxy["inject"]>[0]][] = [
      ["connection reset mid-body", { match: isGet, action: "reset-response", afterBytes: 3 * MIB }],
      ["connection stalled mid-body", { match: isGet, action: "stall-response", afterBytes: 5 * MIB }],
      ["503 on the GET", { match: isGet, action: "503" }],
    ];
    for (const [what, rule] of cases) {
      test(`${what}: resumed with a ranged GET, verified, complete`, async () => {
        proxy.inject(rule);
        const out = mkdtempSync(join(dir, "dl-"));
        const path = await downloadSnapshot(client, "dl", out, { idleTimeoutMs: 1500, retry: retryPolicy({ attempts: 3, delayMs: 50 }) });
        expect(sha(path)).toBe(sha(archive));
        expect(readdirSync(out)).toEqual(["dl.zip"]);
        expect(proxy.faultsFired()).toHaveLength(1);
        if (rule.action !== "503") expect(proxy.seen.filter(isGet).length).toBe(2);
      });
    }

    test("an object replaced between two attempts is refused (If-Match), nothing is spliced or left", async () => {
      putObject(bucket, "swap.zip", archive, [`x-amz-meta-sha256: ${sha(archive)}`]);
      const other = join(dir, "other.zip");
      writeFileSync(other, randomBytes(17 * MIB + 333));
      proxy.inject({ match: isGet, action: "reset-response", afterBytes: 2 * MIB });
      // The retry line is logged before the retry's delay: replacing the object from its sink (synchronous
      // curl) orders the replacement before the resume without any timing.
      const log = Logger.create({ level: "debug", sink: (line) => line.includes("resuming at byte") && putObject(bucket, "swap.zip", other) });
      const out = mkdtempSync(join(dir, "dl-"));
      const err = await downloadSnapshot(client, "swap", out, { log, retry: retryPolicy({ attempts: 3, delayMs: 50 }) }).catch((e) => e);
      expect(err.message).toContain("failed to download s3 backup: [swap.zip] was replaced during the download");
      expect(proxy.seen.filter(isGet).length).toBe(2);
      expect(readdirSync(out)).toEqual([]);
    });

    test("a corrupted body fails the digest check and leaves nothing under /backup", async () => {
      proxy.inject({ match: isGet, action: "corrupt-response", afterBytes: 1 * MIB });
      const out = mkdtempSync(join(dir, "dl-"));
      const err = await downloadSnapshot(client, "dl", out, { retry: retryPolicy({ attempts: 1 }) }).catch((e) => e);
      expect(err.message).toContain("was recorded at upload");
      expect(readdirSync(out)).toEqual([]);
    });
  });
});
