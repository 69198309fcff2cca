/**
 * The tar formats in S3 (issue 9): keys `[folder/]<name>.tar.gz|.tar.zst` are uploaded with their
 * content type, found by download, removed by delete (exactly, as the zip), rolled by retention.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createS3Client, type S3Client } from "../../src/s3/client.ts";
import { s3ConfigFromFlags } from "../../src/tools/etcd-backup/s3-flags.ts";
import { deleteSnapshot } from "../../src/snapshot/stores/s3-snapshots.ts";
import { downloadSnapshot } from "../../src/snapshot/stores/s3-snapshots.ts";
import { rotateSnapshots } from "../../src/snapshot/stores/s3-rotation.ts";
import { uploadSnapshot } from "../../src/snapshot/stores/s3-snapshots.ts";
import { describeWith } from "../support/components.ts";
import { captureLog, createBucket, gatewayFlags, headObject, listKeys, putObject, removeBucket, s3Gateway } from "../support/s3.ts";

describeWith([s3Gateway], "tar archive formats in S3", () => {
  const dir = mkdtempSync(join(tmpdir(), "s3-formats-"));
  const buckets: string[] = [];
  const client = async (folder = ""): Promise<{ c: S3Client; b: string }> => {
    const b = createBucket();
    buckets.push(b);
    const log = captureLog().log;
    return { c: await createS3Client(s3ConfigFromFlags(gatewayFlags(b, { "s3-folder": folder }), {}, { log }), { log }), b };
  };
  const file = (name: string) => {
    const p = join(dir, name);
    writeFileSync(p, randomBytes(4096));
    return p;
  };
  let blob: string;
  beforeAll(() => {
    blob = file("blob");
  });
  afterAll(() => {
    for (const b of buckets) removeBucket(b);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test("upload: key and content type follow the archive's format", async () => {
    const { c, b } = await client("f");
    for (const [ext, type] of [
      ["tar.zst", "application/zstd"],
      ["tar.gz", "application/gzip"],
      ["zip", "application/zip"],
    ]) {
      const local = file(`snap.${ext}`);
      const res = await uploadSnapshot(c, local, `f/snap.${ext}`);
      expect(res.skipped).toBe(false);
      const h = headObject(b, `f/snap.${ext}`);
      expect(h.headers["content-type"]).toBe(type!);
      expect(h.headers["x-amz-meta-sha256"]).toBe(res.sha256);
    }
  });

  test("download finds <name>.tar.zst; a longer name never matches", async () => {
    const { c, b } = await client();
    putObject(b, "snap10.tar.zst", blob);
    const wanted = file("wanted.tar.zst");
    putObject(b, "snap1.tar.zst", wanted);
    const out = mkdtempSync(join(dir, "dl-"));
    const path = await downloadSnapshot(c, "snap1", out);
    expect(path).toBe(join(out, "snap1.tar.zst"));
    expect(readFileSync(path).equals(readFileSync(wanted))).toBe(true);
  });

  test("delete removes exactly <name>.zip, .tar.gz and .tar.zst", async () => {
    const { c, b } = await client("d");
    for (const k of ["d/snap1.tar.gz", "d/snap1.tar.zst", "d/snap1.zip", "d/snap10.tar.zst", "d/snap1.tar"]) putObject(b, k, blob);
    const removed = await deleteSnapshot(c, "snap1");
    expect(removed.sort()).toEqual(["d/snap1.tar.gz", "d/snap1.tar.zst", "d/snap1.zip"]);
    expect(listKeys(b).sort()).toEqual(["d/snap1.tar", "d/snap10.tar.zst"]);
  });

  test("rolling retention rolls old tar snapshots as it rolls zips", async () => {
    const { c, b } = await client("r");
    const old = "2020-01-01T00:00:00Z_etcd";
    const young = "2099-01-01T00:00:00Z_etcd";
    for (const k of [`r/${old}.tar.zst`, `r/${old}.tar.gz`, `r/${old}.zip`, `r/${young}.tar.zst`, "r/rancher-named.tar.zst"]) putObject(b, k, blob);
    const deleted = await rotateSnapshots(c, new Date("2024-01-01T00:00:00Z"));
    expect(deleted.sort()).toEqual([`r/${old}.tar.gz`, `r/${old}.tar.zst`, `r/${old}.zip`]);
    expect(listKeys(b).sort()).toEqual([`r/${young}.tar.zst`, "r/rancher-named.tar.zst"]);
  });
});
