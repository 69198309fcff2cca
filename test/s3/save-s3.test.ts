/** `save` with --s3-backup through the compiled binary: real etcd, the real gateway, RKE's env. */
import { afterAll, afterEach, beforeAll, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { lastLine, runTool, toolPath } from "../support/bin.ts";
import { describeWith } from "../support/components.ts";
import { etcdComponents, startEtcd, type EtcdServer } from "../support/etcd.ts";
import { createBucket, gateway, headObject, listKeys, openUploads, putObject, removeBucket, s3Gateway } from "../support/s3.ts";
import { list, makeDirs, type Dirs } from "../etcd-backup/save-helpers.ts";

// Real network transfers on a shared 2-core machine: generous limits (nothing here asserts on time).
setDefaultTimeout(60_000);

const b64 = (s: string) => Buffer.from(s).toString("base64");

describeWith([...etcdComponents, s3Gateway], "save with --s3-backup", () => {
  let etcd: EtcdServer;
  let d: Dirs;
  let bucket: string;
  // RKE passes the keys only as base64 env, the rest as flags (docs/contract.md §a.4).
  const s3Env = () => ({ S3_ACCESS_KEY: b64(gateway().accessKey), S3_SECRET_KEY: b64(gateway().secretKey) });
  const s3Args = (b: string, more: string[] = []) => [
    "--s3-backup=true",
    `--s3-endpoint=${gateway().endpoint}`,
    `--s3-bucketName=${b}`,
    "--s3-region=",
    `--s3-endpoint-ca=${b64(gateway().caPem)}`,
    ...more,
  ];
  const save = (args: string[], env: Record<string, string> = s3Env()) => runTool("rke-etcd-backup", ["etcd-backup", "save", ...args], { env: { ...d.env, ...env } });

  beforeAll(async () => {
    etcd = await startEtcd();
    await etcd.fill(2 * 2 ** 20);
    bucket = createBucket();
  }, 60_000);
  afterAll(async () => {
    await etcd?.stop();
    removeBucket(bucket);
  }, 120_000);
  beforeEach(() => (d = makeDirs()));
  afterEach(() => d.cleanup());

  for (const folder of ["", "cluster-a/etcd"]) {
    test(`--once uploads [folder/]<name>.zip with its SHA-256; the local zip stays (folder "${folder}")`, async () => {
      const name = `once-${folder ? "f" : "n"}`;
      const r = await save(["--once", "--name", name, ...etcd.flags, ...s3Args(bucket, folder ? [`--s3-folder=${folder}`] : [])]);
      expect(r.code).toBe(0);
      const key = folder ? `${folder}/${name}.zip` : `${name}.zip`;
      expect(r.stderr).toContain(`msg="Successfully uploaded [${key}] of size [`);
      expect(r.stderr).toContain('s3-accessKey="[REDACTED]"');
      expect(r.stderr).not.toContain(gateway().secretKey);
      expect(list(d.backup)).toEqual([`${name}.zip`]);
      const local = createHash("sha256")
        .update(readFileSync(join(d.backup, `${name}.zip`)))
        .digest("hex");
      expect(headObject(bucket, key).headers["x-amz-meta-sha256"]).toBe(local);
    }, 60_000);
  }

  test("a second host finding the object (versioning off) skips the upload", async () => {
    const tiny = join(d.root, "tiny");
    await Bun.write(tiny, "x");
    putObject(bucket, "skip.zip", tiny);
    const r = await save(["--once", "--name", "skip", ...etcd.flags, ...s3Args(bucket)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Skipping upload to s3 because snapshot already exists and versioning is not enabled for the bucket");
  }, 60_000);

  const failures: [string, () => string[], Record<string, string> | undefined][] = [
    ["a missing bucket", () => s3Args("no-such-bucket-x"), undefined],
    ["a wrong secret", () => s3Args(bucket), { S3_ACCESS_KEY: b64(gateway().accessKey), S3_SECRET_KEY: b64("not-the-secret-value") }],
    ["an untrusted endpoint (no CA)", () => s3Args(bucket).filter((a) => !a.startsWith("--s3-endpoint-ca")), undefined],
  ];
  for (const [what, args, env] of failures) {
    test(`${what}: exit 1, RKE's phrase on the last stderr line, local zip kept, nothing left open`, async () => {
      const r = await save(["--once", "--name", "fail", ...etcd.flags, ...args()], env ?? s3Env());
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(/^time="[^"]+" level=fatal msg="failed to upload etcd snapshot file: /);
      expect(list(d.backup)).toEqual(["fail.zip"]);
      expect(r.stderr).not.toContain("not-the-secret-value");
      expect(openUploads(bucket)).toEqual([]);
    }, 60_000);
  }

  test("rolling mode uploads each snapshot and rotates old rolling snapshots in the bucket", async () => {
    const b = createBucket();
    try {
      const tiny = join(d.root, "tiny");
      await Bun.write(tiny, "x");
      putObject(b, "rf/2020-01-01T00:00:00Z_etcd.zip", tiny);
      putObject(b, "rf/c-abc12-rl-old.zip", tiny);
      const proc = Bun.spawn([toolPath("rke-etcd-backup"), "etcd-backup", "save", "--creation=1s", "--retention=1h", ...etcd.flags, ...s3Args(b, ["--s3-folder=rf"])], {
        env: { ...d.env, ...s3Env(), RKE_TOOLS_BACKUP_RETRY_INTERVAL: "10ms" },
        stderr: "pipe",
        stdout: "ignore",
      });
      try {
        const deadline = Date.now() + 45_000;
        let keys: string[] = [];
        while (Date.now() < deadline) {
          keys = listKeys(b);
          if (keys.some((k) => /^rf\/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ_etcd\.zip$/.test(k) && !k.startsWith("rf/2020")) && !keys.includes("rf/2020-01-01T00:00:00Z_etcd.zip")) break;
          await Bun.sleep(200);
        }
        expect(keys).not.toContain("rf/2020-01-01T00:00:00Z_etcd.zip");
        expect(keys).toContain("rf/c-abc12-rl-old.zip"); // not a rolling name
        expect(keys.some((k) => /^rf\/20\d\d-.*Z_etcd\.zip$/.test(k))).toBe(true);
      } finally {
        proc.kill("SIGTERM");
        await proc.exited;
      }
    } finally {
      removeBucket(b);
    }
  }, 60_000);
});
