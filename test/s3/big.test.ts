/** The one big-data test of the S3 suite: a 1 GiB + 1 byte archive, multipart up and streamed down. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createS3Client } from "../../src/s3/client.ts";
import { s3ConfigFromFlags } from "../../src/tools/etcd-backup/s3-flags.ts";
import { downloadSnapshot } from "../../src/snapshot/stores/s3-snapshots.ts";
import { sha256File } from "../../src/s3/sha256.ts";
import { uploadSnapshot } from "../../src/snapshot/stores/s3-snapshots.ts";
import { describeWith } from "../support/components.ts";
import { createBucket, gatewayFlags, headObject, openUploads, removeBucket, s3Gateway } from "../support/s3.ts";

const SIZE = 1024 * 1024 * 1024 + 1;

describeWith([s3Gateway], "S3 1 GiB round trip", () => {
  const dir = mkdtempSync(join(tmpdir(), "s3-big-"));
  let bucket = "";
  beforeAll(() => {
    bucket = createBucket();
  });
  afterAll(() => {
    removeBucket(bucket);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  test("multipart upload and streamed download of a 1 GiB + 1 byte archive are byte-identical", async () => {
    // 16 MiB of random data repeated with a changing counter: every part differs, generation is fast.
    const src = join(dir, "big.zip");
    const block = randomBytes(16 * 1024 * 1024);
    const fd = openSync(src, "w");
    const hash = createHash("sha256");
    for (let off = 0, i = 0; off < SIZE; off += block.length, i++) {
      block.writeUInt32LE(i, 0);
      const chunk = block.subarray(0, Math.min(block.length, SIZE - off));
      writeSync(fd, chunk);
      hash.update(chunk);
    }
    closeSync(fd);
    const digest = hash.digest("hex");
    const client = await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket, { "s3-folder": "big" }), {}));
    const up = await uploadSnapshot(client, src, "big/big.zip", {});
    expect(up.sha256).toBe(digest);
    expect(up.parts).toBe(9); // the default: about 8 parts of at most 128 MiB
    expect(headObject(bucket, "big/big.zip").headers["x-amz-meta-sha256"]).toBe(digest);
    expect(openUploads(bucket)).toEqual([]);
    rmSync(src);
    const out = mkdtempSync(join(dir, "backup-"));
    const path = await downloadSnapshot(client, "big", out);
    expect(statSync(path).size).toBe(SIZE);
    expect(await sha256File(path)).toBe(digest);
    expect(readdirSync(out)).toEqual(["big.zip"]);
  }, 300_000);
});
