/**
 * `list --s3-backup` and `verify --s3-backup` against the S3 gateway: keys in a folder, the
 * SHA-256 stored at upload shown and checked, a damaged object refused, nothing left behind.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ArchiveFormat } from "../../src/archive/format.ts";
import { createS3Client } from "../../src/s3/client.ts";
import { s3ConfigFromFlags } from "../../src/tools/etcd-backup/s3-flags.ts";
import { uploadSnapshot } from "../../src/snapshot/stores/s3-snapshots.ts";
import { lastLine, runTool } from "../support/bin.ts";
import { makeBoltSnapshot } from "../support/bbolt.ts";
import { writeGoZip } from "../support/go-zip.ts";
import { makeSnapshotTar } from "../support/snapshot-tar.ts";
import { describeWith } from "../support/components.ts";
import { captureLog, createBucket, gatewayFlags, putObject, removeBucket, s3Gateway } from "../support/s3.ts";
import { makeDirs, type Dirs } from "./save-helpers.ts";

const FOLDER = "rke/etcd";
let bucket: string;
let dirs: Dirs;
let args: string[];

/** An etcd-shaped bbolt file of about `n` bytes, with etcd's SHA-256 trailer. */
const fakeSnapshot = (n: number) => makeBoltSnapshot(n);
/** The smallest RKE cluster state (verify reads the state file as one). */
const STATE = Buffer.from('{"desiredState":{},"currentState":{}}');

async function makeTar(path: string, format: Exclude<ArchiveFormat, "zip">, name: string, data: Buffer): Promise<void> {
  await makeSnapshotTar(path, format, name, data, STATE);
}

const tool = (cmd: string, extra: string[]) => runTool("rke-etcd-backup", ["etcd-backup", cmd, "--s3-backup", ...args, ...extra], { env: dirs.env });

describeWith([s3Gateway], "list and verify in S3", () => {
  beforeAll(async () => {
    bucket = createBucket();
    dirs = makeDirs();
    const flags = gatewayFlags(bucket, { "s3-folder": FOLDER });
    args = Object.entries(flags).map(([k, v]) => `--${k}=${v}`);
    const log = captureLog().log;
    const client = await createS3Client(s3ConfigFromFlags(flags, {}, { log }), { log });
    const src = join(dirs.root, "src");
    mkdirSync(src);
    await makeTar(join(src, "good.tar.zst"), "tar.zst", "good", fakeSnapshot(40_000));
    await uploadSnapshot(client, join(src, "good.tar.zst"), `${FOLDER}/good.tar.zst`, { log });
    await makeTar(join(src, "plain.tar.gz"), "tar.gz", "plain", fakeSnapshot(200_000));
    putObject(bucket, `${FOLDER}/plain.tar.gz`, join(src, "plain.tar.gz")); // no digest stored (as the original uploads)
    // Damaged after upload: the stored digest is the good archive's.
    await makeTar(join(src, "bad.tar.zst"), "tar.zst", "bad", fakeSnapshot(300_000));
    await uploadSnapshot(client, join(src, "bad.tar.zst"), `${FOLDER}/bad.tar.zst`, { log });
    const sha = createHash("sha256")
      .update(readFileSync(join(src, "bad.tar.zst")))
      .digest("hex");
    const buf = readFileSync(join(src, "bad.tar.zst"));
    for (let i = 2000; i < 2100; i++) buf[i] = buf[i]! ^ 0x3c;
    writeFileSync(join(src, "bad-bytes"), buf);
    putObject(bucket, `${FOLDER}/bad.tar.zst`, join(src, "bad-bytes"), [`x-amz-meta-sha256: ${sha}`]);
    putObject(bucket, "outside-the-folder.tar.zst", join(src, "good.tar.zst"));
    // Zips keep their directory at the end, well past the first 64 KiB list reads for the format.
    const state = { name: "/etc/kubernetes/zipped.rkestate", data: STATE, mode: 0o100400 };
    await writeGoZip(join(src, "zipped.zip"), [{ name: "/backup/zipped", data: fakeSnapshot(300_000) }, state]);
    await uploadSnapshot(client, join(src, "zipped.zip"), `${FOLDER}/zipped.zip`, { log });
    await writeGoZip(join(src, "nostate.zip"), [{ name: "/backup/nostate", data: fakeSnapshot(300_000) }]);
    putObject(bucket, `${FOLDER}/nostate.zip`, join(src, "nostate.zip"));
    await writeGoZip(
      join(src, "big64.zip"),
      [
        { name: "/backup/big64", data: fakeSnapshot(300_000) },
        { ...state, name: "/etc/kubernetes/big64.rkestate" },
      ],
      { zip64: true },
    );
    putObject(bucket, `${FOLDER}/big64.zip`, join(src, "big64.zip"));
  }, 60_000);
  afterAll(() => {
    if (bucket) removeBucket(bucket);
    dirs?.cleanup();
  }, 60_000);

  test("list shows the folder's snapshots with format, state file and stored SHA-256", async () => {
    const r = await tool("list", ["--output", "json"]);
    expect(r.code).toBe(0);
    const records = JSON.parse(r.stdout) as { location: string; name: string; format: string; path: string; stateFile: boolean | null; sha256: string | null; time: string }[];
    expect(records.map((x) => x.name).sort()).toEqual(["bad", "big64", "good", "nostate", "plain", "zipped"]);
    const good = records.find((x) => x.name === "good")!;
    expect(good).toMatchObject({ location: "s3", format: "tar.zst", path: `${FOLDER}/good.tar.zst`, stateFile: true });
    expect(good.sha256).toBe(
      createHash("sha256")
        .update(readFileSync(join(dirs.root, "src", "good.tar.zst")))
        .digest("hex"),
    );
    expect(Date.now() - Date.parse(good.time)).toBeLessThan(3_600_000);
    expect(records.find((x) => x.name === "plain")).toMatchObject({ format: "tar.gz", sha256: null, stateFile: true });
    // A zip's state file is told by a ranged GET of its end (central directory; ZIP64 too).
    expect(records.find((x) => x.name === "zipped")).toMatchObject({ format: "zip", stateFile: true });
    expect(records.find((x) => x.name === "nostate")).toMatchObject({ format: "zip", stateFile: false, sha256: null });
    expect(records.find((x) => x.name === "big64")).toMatchObject({ format: "zip", stateFile: true });
    const text = await tool("list", []);
    expect(text.stdout).toMatch(/^s3 +zipped +zip +[\d.]+ KiB +\S+ +yes +[0-9a-f]{64}$/m);
    expect(text.stdout).toMatch(/^s3 +nostate +zip +[\d.]+ KiB +\S+ +no +-$/m);
    expect(text.stdout).toMatch(/^s3 +good +tar\.zst +[\d.]+ KiB +\S+ +yes +[0-9a-f]{64}$/m);
  });

  test("verify reads the object whole and checks the stored SHA-256", async () => {
    const r = await tool("verify", ["--name", "good"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`s3://${bucket}/${FOLDER}/good.tar.zst: verified`);
    expect(r.stdout).toMatch(/ok +stored SHA-256 +matches x-amz-meta-sha256: [0-9a-f]{64}/);
    expect(r.stdout).toMatch(/ok +etcd SHA-256 trailer +matches/);
    expect(r.stdout).toMatch(/ok +etcd database +hash \d+, revision 1, 2 keys, \d+ bytes \(as etcdctl snapshot status\)/); // from the downloaded copy
    expect(readdirSync(dirs.backup)).toEqual([]);
  });

  test("an object without a stored digest verifies on its own checks", async () => {
    const r = await tool("verify", ["--name", "plain", "--debug"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/- +stored SHA-256 +none stored/);
    // The store names its copies by key (SnapshotStore.whereField), and reads none in place: no progress lines.
    expect(r.stderr).toMatch(new RegExp(`level=debug msg=Verifying key=${FOLDER}/plain\\.tar\\.gz$`, "m"));
    expect(r.stderr).not.toContain("Verifying snapshot:");
  });

  test("a damaged object fails with one clear line and leaves nothing behind", async () => {
    const r = await tool("verify", ["--name", "bad"]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(new RegExp(`Cannot verify snapshot bad: s3://${bucket}/${FOLDER}/bad\\.tar\\.zst: (integrity|stored SHA-256): `));
    expect(r.stdout).not.toContain(".rke-tmp-");
    expect(readdirSync(dirs.backup)).toEqual([]);
  });

  test("a name not in the bucket", async () => {
    const r = await tool("verify", ["--name", "absent"]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain(
      `Cannot verify snapshot absent: none of ${FOLDER}/absent.zip, ${FOLDER}/absent.tar.gz, ${FOLDER}/absent.tar.zst, ${FOLDER}/absent is in bucket ${bucket}`,
    );
  });
});
