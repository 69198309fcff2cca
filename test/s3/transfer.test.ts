import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createS3Client, type S3Client } from "../../src/s3/client.ts";
import { s3ConfigFromFlags } from "../../src/tools/etcd-backup/s3-flags.ts";
import { deleteSnapshot } from "../../src/snapshot/stores/s3-snapshots.ts";
import { downloadSnapshot } from "../../src/snapshot/stores/s3-snapshots.ts";
import { rotateSnapshots } from "../../src/snapshot/stores/s3-rotation.ts";
import { uploadSnapshot } from "../../src/snapshot/stores/s3-snapshots.ts";
import { DEFAULT_PROGRESS } from "../../src/log/progress.ts";
import { describeWith } from "../support/components.ts";
import { captureLog, createBucket, gatewayFlags, headObject, listKeys, listVersions, openUploads, putObject, removeBucket, s3Gateway, type Versioning } from "../support/s3.ts";

// Real network transfers on a shared 2-core machine: generous limits (nothing here asserts on time).
setDefaultTimeout(60_000);

const MIB = 1024 * 1024;
const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

describeWith([s3Gateway], "S3 snapshot transfers against the gateway", () => {
  const dir = mkdtempSync(join(tmpdir(), "s3-transfer-"));
  const buckets: string[] = [];
  const bucket = (v: Versioning = "never") => {
    const b = createBucket(v);
    buckets.push(b);
    return b;
  };
  const client = async (b: string, folder = "", log = captureLog().log): Promise<S3Client> =>
    createS3Client(s3ConfigFromFlags(gatewayFlags(b, { "s3-folder": folder }), {}, { log }), { log });
  const archive = (name: string, size: number) => {
    const p = join(dir, `${name}.zip`);
    writeFileSync(p, randomBytes(size));
    return p;
  };
  let small: string;
  beforeAll(() => {
    small = archive("snap1", 300 * 1024);
  });
  afterAll(() => {
    for (const b of buckets) removeBucket(b);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  describe("upload", () => {
    for (const folder of ["", "rke/etcd"]) {
      test(`key [folder/]<name>.zip, application/zip, sha256 metadata (folder "${folder}")`, async () => {
        const b = bucket();
        const { log, lines } = captureLog();
        const key = folder ? `${folder}/snap1.zip` : "snap1.zip";
        const r = await uploadSnapshot(await client(b, folder, log), small, key, { log });
        expect(r).toMatchObject({ key, skipped: false, size: 300 * 1024, sha256: sha(small) });
        expect(listKeys(b)).toEqual([key]);
        const h = headObject(b, key);
        expect(h.headers["content-type"]).toBe("application/zip");
        expect(h.headers["x-amz-meta-sha256"]).toBe(sha(small));
        expect(lines.join("")).toContain(`invoking uploading backup file [${key}] to s3`);
        expect(lines.join("")).toContain(`Successfully uploaded [${key}] of size [${300 * 1024}]`);
      });
    }

    const cases: [Versioning, boolean][] = [
      ["never", true],
      ["Suspended", true],
      ["Enabled", false],
    ];
    for (const [versioning, skips] of cases) {
      test(`existing object, versioning ${versioning}: ${skips ? "skipped" : "uploaded again"}`, async () => {
        const b = bucket(versioning);
        const c = await client(b);
        await uploadSnapshot(c, small, "snap1.zip");
        const { log, lines } = captureLog();
        const second = await uploadSnapshot(c, small, "snap1.zip", { log });
        expect(second.skipped).toBe(skips);
        expect(lines.join("").includes("Skipping upload to s3 because snapshot already exists and versioning is not enabled for the bucket")).toBe(skips);
        if (versioning === "Enabled") expect(listVersions(b).length).toBe(2);
      });
    }

    test("an existing empty object does not count: uploaded again", async () => {
      const b = bucket();
      const empty = join(dir, "empty");
      writeFileSync(empty, "");
      putObject(b, "snap1.zip", empty);
      const r = await uploadSnapshot(await client(b), small, "snap1.zip");
      expect(r.skipped).toBe(false);
      expect(headObject(b, "snap1.zip").headers["content-length"]).toBe(String(300 * 1024));
    });

    test("multipart: parallel parts, read back identical, no open uploads left", async () => {
      const b = bucket();
      const big = archive("big", 23 * MIB + 12345);
      const r = await uploadSnapshot(await client(b), big, "big.zip", { multipartThreshold: 5 * MIB, partSize: 5 * MIB, concurrency: 3 });
      expect(r.parts).toBe(5);
      expect(openUploads(b)).toEqual([]);
      const local = await downloadSnapshot(await client(b), "big", mkdtempSync(join(dir, "dl-")));
      expect(sha(local)).toBe(sha(big));
    });

    test("progress lines: a multipart upload counts stored parts, a download follows the file; both end before the result line", async () => {
      const b = bucket();
      const big = archive("prog", 23 * MIB);
      const policy = { ...DEFAULT_PROGRESS, intervalMs: 1 }; // shortened: the product's pace is 10 s
      const up = captureLog();
      await uploadSnapshot(await client(b), big, "prog.zip", { log: up.log, multipartThreshold: 5 * MIB, partSize: 5 * MIB, concurrency: 2, progress: policy });
      const upLines = up.lines.filter((l) => l.includes("Uploading snapshot: "));
      expect(upLines.length).toBeGreaterThan(0);
      const stored = upLines.map((l) => Number(l.match(/ bytes=(\d+) /)![1]));
      for (const n of stored) expect([0, 5, 10, 15, 20, 23].map((m) => m * MIB)).toContain(n); // whole parts only
      expect(stored).toEqual([...stored].sort((x, y) => x - y));
      expect(upLines[0]).toMatch(/msg="Uploading snapshot: [0-9.]+ (B|MiB) of 23\.0 MiB \(\d+%\), [^"]+" bytes=\d+ name=prog percent=\d+ rate="[^"]+" total=24117248/);
      expect(up.lines.findIndex((l) => l.includes("Successfully uploaded"))).toBeGreaterThan(up.lines.lastIndexOf(upLines.at(-1)!));

      const down = captureLog();
      await downloadSnapshot(await client(b), "prog", mkdtempSync(join(dir, "dl-")), { log: down.log, progress: policy });
      const downLines = down.lines.filter((l) => l.includes("Downloading snapshot: "));
      expect(downLines.length).toBeGreaterThan(0);
      for (const l of downLines)
        expect(l).toMatch(/msg="Downloading snapshot: [0-9.]+ (B|KiB|MiB) of 23\.0 MiB \(\d+%\), [^"]+" bytes=\d+ name=prog percent=\d+ rate="[^"]+" total=24117248/);
      const got = downLines.map((l) => Number(l.match(/ bytes=(\d+) /)![1]));
      expect(got).toEqual([...got].sort((x, y) => x - y));
      expect(down.lines.at(-1)).toContain("Successfully downloaded [prog.zip]");
    });

    test("a missing local archive fails with RKE's phrase", async () => {
      const b = bucket();
      const err = await uploadSnapshot(await client(b), join(dir, "nope.zip"), "nope.zip").catch((e) => e);
      expect(err.message).toStartWith("failed to upload etcd snapshot file: ");
    });
  });

  describe("download", () => {
    test("<name>.zip: streamed to the backup folder, 0600, verified, no temp files left", async () => {
      const b = bucket();
      const c = await client(b, "f");
      await uploadSnapshot(c, small, "f/snap1.zip");
      const out = mkdtempSync(join(dir, "dl-"));
      const { log, lines } = captureLog();
      const path = await downloadSnapshot(c, "snap1", out, { log });
      expect(path).toBe(join(out, "snap1.zip"));
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(sha(path)).toBe(sha(small));
      expect(readdirSync(out)).toEqual(["snap1.zip"]);
      expect(lines.filter((l) => l.includes("Successfully downloaded [f/snap1.zip]"))).toHaveLength(1);
    });

    test("matching: <name> or <name>.zip, first in listing order; longer names never", async () => {
      const b = bucket();
      putObject(b, "snap10.zip", small);
      putObject(b, "snap1.zip", small);
      const raw = join(dir, "raw-snap");
      writeFileSync(raw, "legacy uncompressed");
      putObject(b, "snap1", raw);
      const out = mkdtempSync(join(dir, "dl-"));
      expect(await downloadSnapshot(await client(b), "snap1", out)).toBe(join(out, "snap1")); // the legacy object lists first
      expect(readFileSync(join(out, "snap1"), "utf8")).toBe("legacy uncompressed");
      const err = await downloadSnapshot(await client(b), "snap", out).catch((e) => e);
      expect(err.message).toBe("failed to download s3 backup: no backups found");
    });

    test("an object whose recorded SHA-256 does not match is refused and leaves nothing", async () => {
      const b = bucket();
      putObject(b, "snap1.zip", small, [`x-amz-meta-sha256: ${"0".repeat(64)}`]);
      const out = mkdtempSync(join(dir, "dl-"));
      const err = await downloadSnapshot(await client(b), "snap1", out).catch((e) => e);
      expect(err.message).toMatch(/^failed to download s3 backup: \[snap1\.zip\] has SHA-256 [0-9a-f]{64}, but 0{64} was recorded at upload$/);
      expect(readdirSync(out)).toEqual([]);
    });

    test("objects uploaded without a digest (the original's) download after the size check", async () => {
      const b = bucket();
      putObject(b, "snap1.zip", small);
      const out = mkdtempSync(join(dir, "dl-"));
      expect(sha(await downloadSnapshot(await client(b), "snap1", out))).toBe(sha(small));
    });

    test("a final name that cannot be written fails with that file's error and leaves no temp file", async () => {
      const b = bucket();
      putObject(b, "snap1.zip", small, [`x-amz-meta-sha256: ${sha(small)}`]);
      const out = mkdtempSync(join(dir, "dl-"));
      mkdirSync(join(out, "snap1.zip")); // the rename over it fails after the bytes and digest checked out
      const err = await downloadSnapshot(await client(b), "snap1", out).catch((e) => e);
      expect(err.message).toStartWith("Unable to download backup file for [snap1.zip]: ");
      expect(err.message).toContain(join(out, "snap1.zip"));
      expect(err.message).not.toContain("EBADF");
      expect(readdirSync(out)).toEqual(["snap1.zip"]);
      expect(statSync(join(out, "snap1.zip")).isDirectory()).toBe(true);
    });

    test("empty name", async () => {
      const err = await downloadSnapshot(await client(bucket()), "", dir).catch((e) => e);
      expect(err.message).toBe("empty backup name");
    });
  });

  describe("delete", () => {
    for (const folder of ["", "fold"]) {
      test(`removes exactly <name> and <name>.zip, never other keys with that prefix (folder "${folder}")`, async () => {
        const b = bucket();
        const k = (n: string) => (folder ? `${folder}/${n}` : n);
        for (const n of ["snap1", "snap1.zip", "snap10.zip", "snap1-other.zip"]) putObject(b, k(n), small);
        const { log, lines } = captureLog();
        const removed = await deleteSnapshot(await client(b, folder), "snap1", { log });
        expect(removed.sort()).toEqual([k("snap1"), k("snap1.zip")]);
        expect(listKeys(b).sort()).toEqual([k("snap1-other.zip"), k("snap10.zip")]);
        expect(lines.join("")).toContain(`removed backups: ${removed.join(", ")} from object store`);
      });
    }
    test("nothing to delete is not an error", async () => {
      expect(await deleteSnapshot(await client(bucket()), "snap1")).toEqual([]);
    });
  });

  describe("rolling retention", () => {
    const old = "2020-01-01T00:00:00Z_etcd";
    const recent = "2030-01-01T00:00:00Z_etcd";
    for (const folder of ["", "rf"]) {
      test(`deletes rolling snapshots older than the cutoff only (folder "${folder}")`, async () => {
        const b = bucket();
        const k = (n: string) => (folder ? `${folder}/${n}` : n);
        const keys = [
          k(`${old}.zip`),
          k(old),
          k(`${recent}.zip`),
          k("c-abc12-rl-2020.zip"),
          k("notatime_etcd.zip"),
          k("2020-01-01T00:00:00Z_other.zip"),
          "outside/2020-01-01T00:00:00Z_etcd.zip",
        ];
        for (const key of keys) putObject(b, key, small);
        const { log, lines } = captureLog();
        const deleted = await rotateSnapshots(await client(b, folder), new Date("2025-01-01T00:00:00Z"), { log });
        expect(deleted.sort()).toEqual([k(old), k(`${old}.zip`)].sort());
        expect(listKeys(b).sort()).toEqual(keys.filter((x) => !deleted.includes(x)).sort());
        expect(lines.join("")).toContain("Couldn't parse s3 backup");
        expect(lines.join("")).toContain(`Success delete s3 backup file [${k(old)}]`);
      });
    }
  });
});
