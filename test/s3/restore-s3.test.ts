/** `delete --s3-backup` and `extractstatefile --s3-backup` through the compiled binary against the gateway. */
import { afterAll, afterEach, beforeAll, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lastLine, runTool } from "../support/bin.ts";
import { describeWith } from "../support/components.ts";
import { writeGoZip } from "../support/go-zip.ts";
import { createBucket, gateway, listKeys, putObject, removeBucket, s3Gateway } from "../support/s3.ts";
import { restoreDirs, type RestoreDirs } from "../etcd-backup/restore-env.ts";

setDefaultTimeout(60_000);

const b64 = (s: string) => Buffer.from(s).toString("base64");

describeWith([s3Gateway], "restore commands with --s3-backup", () => {
  let d: RestoreDirs;
  let bucket: string;
  const env = () => ({ ...d.env, S3_ACCESS_KEY: b64(gateway().accessKey), S3_SECRET_KEY: b64(gateway().secretKey) });
  const s3 = (folder = "") => [
    `--s3-endpoint=${gateway().endpoint}`,
    `--s3-bucketName=${bucket}`,
    "--s3-region=",
    `--s3-endpoint-ca=${b64(gateway().caPem)}`,
    ...(folder ? [`--s3-folder=${folder}`] : []),
  ];
  const tool = (cmd: string, args: string[], e = env()) => runTool("rke-etcd-backup", ["etcd-backup", cmd, ...args], { env: e });

  beforeAll(() => {
    bucket = createBucket();
  });
  afterAll(() => removeBucket(bucket), 120_000);
  beforeEach(() => (d = restoreDirs("s3-restore")));
  afterEach(() => d.cleanup());

  test("delete: local files, then exactly [folder/]<name> and [folder/]<name>.zip in the bucket", async () => {
    const obj = join(d.root, "obj");
    writeFileSync(obj, "x");
    for (const k of ["f/d1", "f/d1.zip", "f/d10.zip", "f/d1-x.zip", "d1.zip"]) putObject(bucket, k, obj);
    writeFileSync(join(d.backup, "d1.zip"), "z");
    const r = await tool("delete", ["--name", "d1", "--s3-backup", ...s3("f")]);
    expect(r.code).toBe(0);
    expect(readdirSync(d.backup)).toEqual([]);
    expect(
      listKeys(bucket)
        .filter((k) => k.startsWith("f/") || k === "d1.zip")
        .sort(),
    ).toEqual(["d1.zip", "f/d1-x.zip", "f/d10.zip"]);
    expect(lastLine(r.stderr)).toMatch(/msg="removed backups: f\/d1(\.zip)?, f\/d1(\.zip)? from object store"$/);
    expect(r.stderr).not.toContain(gateway().secretKey);
  });

  test("delete: a missing bucket fails after the local delete, with the original's text", async () => {
    writeFileSync(join(d.backup, "d2.zip"), "z");
    const r = await tool("delete", ["--name", "d2", "--s3-backup", ...s3().map((a) => (a.startsWith("--s3-bucketName") ? "--s3-bucketName=nope-missing" : a))]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain("failed to set s3 server: bucket nope-missing is not found");
    expect(existsSync(join(d.backup, "d2.zip"))).toBe(false);
  });

  test("download: the zip into /backup, then /backup/<name> extracted beside it (both 0600)", async () => {
    const db = Buffer.alloc(300_000, 9);
    const zip = join(d.root, "up.zip");
    await writeGoZip(zip, [{ name: "/backup/dl1", data: db }]);
    putObject(bucket, "g/dl1.zip", zip);
    const r = await tool("download", ["--name", "dl1", "--s3-backup=true", ...s3("g")]);
    expect(r.code).toBe(0);
    expect(readdirSync(d.backup).sort()).toEqual(["dl1", "dl1.zip"]);
    expect(readFileSync(join(d.backup, "dl1")).equals(db)).toBe(true);
    for (const f of ["dl1", "dl1.zip"]) expect(statSync(join(d.backup, f)).mode & 0o777).toBe(0o600);
    expect(r.stderr).toContain(`msg="Decompressed [${join(d.backup, "dl1.zip")}] to [${join(d.backup, "dl1")}]"`);
  });

  test("download: a legacy uncompressed object lands as /backup/<name>", async () => {
    const raw = join(d.root, "raw");
    writeFileSync(raw, "legacy snapshot bytes");
    putObject(bucket, "g/legacy1", raw);
    const r = await tool("download", ["--name", "legacy1", "--s3-backup", ...s3("g")]);
    expect(r.code).toBe(0);
    expect(readdirSync(d.backup)).toEqual(["legacy1"]);
    expect(readFileSync(join(d.backup, "legacy1"), "utf8")).toBe("legacy snapshot bytes");
  });

  test("download: a zip without the snapshot entry is the original's text", async () => {
    const zip = join(d.root, "bad.zip");
    await writeGoZip(zip, [{ name: "/etc/kubernetes/other.rkestate", data: Buffer.from("{}") }]);
    putObject(bucket, "g/bad1.zip", zip);
    const r = await tool("download", ["--name", "bad1", "--s3-backup", ...s3("g")]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain(`Unable to decompress [${join(d.backup, "bad1.zip")}] to [${join(d.backup, "bad1")}]`);
    expect(existsSync(join(d.backup, "bad1"))).toBe(false);
  });

  // Issue 19.19: as the original, the archive and the raw snapshot stay in /backup (both 0600).
  test("extractstatefile: downloads the archive into /backup and extracts the snapshot beside it, then the state file", async () => {
    const state = JSON.stringify({ desiredState: {}, currentState: { x: 1 } });
    const db = Buffer.alloc(50_000, 7);
    const zip = join(d.root, "up.zip");
    await writeGoZip(zip, [
      { name: "/backup/es1", data: db },
      { name: "/etc/kubernetes/es1.rkestate", data: Buffer.from(state), mode: 0o100644 },
    ]);
    putObject(bucket, "rke/es1.zip", zip);
    const r = await tool("extractstatefile", ["--name", "es1", "--s3-backup", ...s3("rke")]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(d.tmp, "cluster.rkestate"), "utf8")).toBe(state);
    expect(readdirSync(d.backup).sort()).toEqual(["es1", "es1.zip"]);
    expect(readFileSync(join(d.backup, "es1")).equals(db)).toBe(true);
    for (const f of ["es1", "es1.zip"]) expect(statSync(join(d.backup, f)).mode & 0o777).toBe(0o600);
    expect(r.stderr).toContain("Successfully downloaded [rke/es1.zip]");
  });

  test("extractstatefile: nothing in the bucket is the original's text, nothing written", async () => {
    const r = await tool("extractstatefile", ["--name", "none", "--s3-backup", ...s3("rke")]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain("failed to download s3 backup: no backups found");
    expect(readdirSync(d.backup)).toEqual([]);
    expect(existsSync(join(d.tmp, "cluster.rkestate"))).toBe(false);
  });
});
