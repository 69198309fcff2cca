/**
 * `save --archive-format tar.gz|tar.zst` against a real etcd (issue 9): the same two entries as the
 * zip, under tar's relative names, readable by GNU tar; content byte for byte etcdctl's snapshot;
 * and what every reader then does with it (verify, extractstatefile).
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lastLine, runTool } from "../support/bin.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { etcdComponents, startEtcd, type EtcdServer } from "../support/etcd.ts";
import { createBucket, gateway, headObject, listKeys, removeBucket, s3Gateway } from "../support/s3.ts";
import { list, makeDirs, sha256File, type Dirs } from "./save-helpers.ts";

const tools = [hasCommand("tar", "apt-get install tar"), hasCommand("zstd", "apt-get install zstd")];
const FORMATS = [
  { format: "tar.zst", flag: "--zstd" },
  { format: "tar.gz", flag: "-z" },
] as const;

describeWith([...etcdComponents, ...tools], "save --archive-format (tar)", () => {
  let etcd: EtcdServer;
  let d: Dirs;
  const tool = (cmd: string, args: string[], env: Record<string, string> = {}) => runTool("rke-etcd-backup", ["etcd-backup", cmd, ...args], { env: { ...d.env, ...env } });

  beforeAll(async () => {
    etcd = await startEtcd();
    await etcd.fill(6 * 2 ** 20);
  }, 60_000);
  afterAll(async () => etcd?.stop());
  beforeEach(() => (d = makeDirs()));
  afterEach(() => d.cleanup());

  for (const { format, flag } of FORMATS) {
    test(`${format}: state file first, then the snapshot, as GNU tar lists and extracts them`, async () => {
      const state = '{"desiredState":{},"currentState":{}}\n';
      writeFileSync(join(d.kubernetes, "snap1.rkestate"), state);
      chmodSync(join(d.kubernetes, "snap1.rkestate"), 0o644);
      const r = await tool("save", ["--once", "--name", "snap1", "--archive-format", format, ...etcd.flags]);
      expect(r.code).toBe(0);
      expect(lastLine(r.stderr)).toMatch(/msg="Created local backup" name=snap1 /);
      expect(list(d.backup)).toEqual([`snap1.${format}`]);
      expect(list(d.kubernetes)).toEqual([]); // archived and removed, as with the zip
      const archive = join(d.backup, `snap1.${format}`);
      expect(statSync(archive).mode & 0o777).toBe(0o600);

      const tv = spawnSync("tar", [flag, "-tvf", archive], { encoding: "utf8" });
      expect(tv.stderr).toBe("");
      const lines = tv.stdout.trim().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(new RegExp(`^-rw-r--r-- 0/0 +${state.length} 1970-01-01 00:00 etc/kubernetes/snap1\\.rkestate$`));
      expect(lines[1]).toMatch(/^-rw------- 0\/0 +\d+ 1970-01-01 00:00 backup\/snap1$/);

      const out = join(d.root, "out");
      mkdirSync(out);
      expect(spawnSync("tar", [flag, "-xf", archive, "-C", out]).status).toBe(0);
      const ref = join(d.root, "ref.db");
      expect(etcd.etcdctl(["snapshot", "save", ref]).code).toBe(0);
      expect(sha256File(join(out, "backup", "snap1"))).toBe(sha256File(ref));
      expect(readFileSync(join(out, "etc", "kubernetes", "snap1.rkestate"), "utf8")).toBe(state);

      const v = await tool("verify", ["--name", "snap1"]);
      expect(v.code).toBe(0);
      expect(v.stdout).toMatch(/ok +etcd SHA-256 trailer +matches/);

      mkdirSync(d.env.RKE_TOOLS_TMP_DIR!);
      const x = await tool("extractstatefile", ["--name", "snap1"]);
      expect(x.stderr).toContain("Successfully extracted file [etc/kubernetes/snap1.rkestate]");
      expect(x.code).toBe(0);
      expect(readFileSync(join(d.env.RKE_TOOLS_TMP_DIR!, "cluster.rkestate"), "utf8")).toBe(state);
    }, 60_000);
  }

  test("the format from RKE_TOOLS_ARCHIVE_FORMAT; zip stays the default", async () => {
    let r = await tool("save", ["--once", "--name", "envsnap", ...etcd.flags], { RKE_TOOLS_ARCHIVE_FORMAT: "tar.zst" });
    expect(r.code).toBe(0);
    r = await tool("save", ["--once", "--name", "plain", ...etcd.flags]);
    expect(r.code).toBe(0);
    expect(list(d.backup)).toEqual(["envsnap.tar.zst", "plain.zip"]);
    const l = await tool("list", ["--output", "json"]);
    const formats = Object.fromEntries((JSON.parse(l.stdout) as { name: string; format: string; stateFile: boolean }[]).map((x) => [x.name, x.format]));
    expect(formats).toEqual({ envsnap: "tar.zst", plain: "zip" });
  }, 60_000);

  test("an unknown format: one clear line naming the flag, nothing written, etcd never asked", async () => {
    const r = await tool("save", ["--once", "--name", "bad", "--archive-format", "tar.xz", ...etcd.flags]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain('invalid value \\"tar.xz\\" for --archive-format: must be one of zip, tar.gz, tar.zst');
    expect(list(d.backup)).toEqual([]);
  });
});

describeWith([...etcdComponents, s3Gateway], "save --archive-format tar.zst --s3-backup", () => {
  let etcd: EtcdServer;
  let d: Dirs;
  let bucket: string;
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const s3Args = () => [
    "--s3-backup=true",
    `--s3-endpoint=${gateway().endpoint}`,
    `--s3-bucketName=${bucket}`,
    "--s3-region=",
    `--s3-endpoint-ca=${b64(gateway().caPem)}`,
    `--s3-accessKey=${b64(gateway().accessKey)}`,
    `--s3-secretKey=${b64(gateway().secretKey)}`,
    "--s3-folder=f",
  ];
  beforeAll(async () => {
    etcd = await startEtcd();
    await etcd.fill(2 * 2 ** 20);
    bucket = createBucket();
    d = makeDirs();
  }, 60_000);
  afterAll(async () => {
    await etcd?.stop();
    if (bucket) removeBucket(bucket);
    d?.cleanup();
  }, 120_000);

  test("uploads f/<name>.tar.zst (application/zstd, SHA-256 stored); verify --s3-backup reads it back", async () => {
    const tool = (cmd: string, args: string[]) => runTool("rke-etcd-backup", ["etcd-backup", cmd, ...args], { env: d.env });
    const r = await tool("save", ["--once", "--name", "up", "--archive-format", "tar.zst", ...etcd.flags, ...s3Args()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('msg="Successfully uploaded [f/up.tar.zst] of size [');
    const head = headObject(bucket, "f/up.tar.zst");
    expect(head.headers["content-type"]).toBe("application/zstd");
    expect(head.headers["x-amz-meta-sha256"]).toBe(sha256File(join(d.backup, "up.tar.zst")));
    const v = await tool("verify", ["--name", "up", ...s3Args()]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/ok +stored SHA-256 +matches x-amz-meta-sha256/);

    // Another node restores from it: download fetches the tar.zst and extracts the snapshot.
    const local = readFileSync(join(d.backup, "up.tar.zst"));
    rmSync(join(d.backup, "up.tar.zst"));
    const dl = await tool("download", ["--name", "up", ...s3Args()]);
    expect(dl.code).toBe(0);
    expect(list(d.backup)).toEqual(["up", "up.tar.zst"]);
    expect(readFileSync(join(d.backup, "up.tar.zst")).equals(local)).toBe(true);
    const raw = await tool("verify", ["--name", "up"]);
    expect(raw.code).toBe(0);
    expect(raw.stdout).toContain(`${join(d.backup, "up")}: verified`);

    const del = await tool("delete", ["--name", "up", ...s3Args()]);
    expect(del.code).toBe(0);
    expect(listKeys(bucket)).toEqual([]);
    expect(list(d.backup)).toEqual([]);
  }, 60_000);
});
