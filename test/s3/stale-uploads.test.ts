/**
 * Multipart uploads a killed upload left open: rotation aborts those of snapshot archives under
 * the folder once they are a day old, and leaves young ones (another node may be uploading) and
 * other keys alone. Against the real gateway.
 */
import { afterAll, expect, test } from "bun:test";
import { createS3Client, type S3Client } from "../../src/s3/client.ts";
import { s3ConfigFromFlags } from "../../src/tools/etcd-backup/s3-flags.ts";
import { abortStaleSnapshotUploads, rotateSnapshots } from "../../src/snapshot/stores/s3-rotation.ts";
import { openUploads as listOpen, STALE_UPLOAD_AGE_MS } from "../../src/s3/stale-uploads.ts";
import { parseXml, text, child } from "../../src/s3/xml.ts";
import { describeWith } from "../support/components.ts";
import { captureLog, createBucket, gatewayFlags, openUploads, removeBucket, s3Gateway } from "../support/s3.ts";

describeWith([s3Gateway], "stale multipart uploads", () => {
  const buckets: string[] = [];
  afterAll(() => {
    for (const b of buckets) removeBucket(b);
  }, 60_000);

  const setup = async (folder: string) => {
    const b = createBucket();
    buckets.push(b);
    const { log, lines } = captureLog();
    const c = await createS3Client(s3ConfigFromFlags(gatewayFlags(b, { "s3-folder": folder }), {}, { log }), { log });
    return { b, c, lines };
  };

  /** What a killed upload leaves: CreateMultipartUpload and one part, never completed. */
  const leaveOpen = async (c: S3Client, key: string) => {
    const created = await (await c.request("POST", key, { query: { uploads: "" } })).text();
    const uploadId = text(child(parseXml(created), "InitiateMultipartUploadResult"), "UploadId");
    const part = await c.request("PUT", key, { query: { partNumber: "1", uploadId }, body: new Uint8Array(1024), headers: { "Content-Length": "1024" } });
    await part.body?.cancel();
    return uploadId;
  };

  test("young uploads stay; a day later those of snapshot archives under the folder are aborted", async () => {
    const { b, c, lines } = await setup("f");
    for (const k of ["f/2020-01-01T00:00:00Z_etcd.zip", "f/named.tar.zst", "f/notes.txt", "other/2020-01-01T00:00:00Z_etcd.zip"]) await leaveOpen(c, k);
    const listed: string[] = [];
    for await (const u of listOpen(c, "f/")) listed.push(u.key);
    expect(listed.sort()).toEqual(["f/2020-01-01T00:00:00Z_etcd.zip", "f/named.tar.zst", "f/notes.txt"]);

    expect(await abortStaleSnapshotUploads(c)).toEqual([]); // all started seconds ago
    expect(openUploads(b).length).toBe(4);

    const aborted = await abortStaleSnapshotUploads(c, { nowMs: Date.now() + STALE_UPLOAD_AGE_MS + 60_000 });
    expect(aborted.sort()).toEqual(["f/2020-01-01T00:00:00Z_etcd.zip", "f/named.tar.zst"]);
    expect(openUploads(b).sort()).toEqual(["f/notes.txt", "other/2020-01-01T00:00:00Z_etcd.zip"]);
    expect(lines.some((l) => l.includes("aborted a stale multipart upload of [f/named.tar.zst]"))).toBe(true);
  });

  test("rotation runs the cleanup (bucket root, no folder)", async () => {
    const { b, c } = await setup("");
    await leaveOpen(c, "2020-01-01T00:00:00Z_etcd.zip");
    await rotateSnapshots(c, new Date("2024-01-01T00:00:00Z"));
    expect(openUploads(b)).toEqual(["2020-01-01T00:00:00Z_etcd.zip"]); // young: kept
    // An age limit in the past stands in for a day passing.
    await rotateSnapshots(c, new Date("2024-01-01T00:00:00Z"), { staleUploadAgeMs: -60_000 });
    expect(openUploads(b)).toEqual([]);
  });
});
