/** The snapshot stream check: etcd's SHA-256 trailer, truncation, and nothing kept on failure. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRkeToolsError, ErrorCode } from "../../src/errors.ts";
import { EtcdClient } from "../../src/etcd/client.ts";
import { parseEndpoints } from "../../src/etcd/endpoints.ts";
import { checkHealth } from "../../src/etcd/health.ts";
import type { SnapshotChunk } from "../../src/etcd/messages.ts";
import { snapshotChunks, verifySnapshot, type SnapshotInfo } from "../../src/etcd/snapshot.ts";
import { loadTlsFiles } from "../../src/tls/pem.ts";
import { writeArchive } from "../../src/tools/etcd-backup/save/archive.ts";
import { describeWith } from "../support/components.ts";
import { etcdComponents, startEtcd, type EtcdServer } from "../support/etcd.ts";

async function* from(chunks: SnapshotChunk[]) {
  for (const c of chunks) yield c;
}

async function drain(it: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of it) n += c.byteLength;
  return n;
}

test("a trailer that matches passes, whatever the chunking", async () => {
  const db = new Uint8Array(1000).map((_, i) => i & 0xff);
  const sha = createHash("sha256").update(db).digest();
  const all = Buffer.concat([db, sha]);
  for (const cut of [1, 7, 31, 32, 33, 500, 1031]) {
    const chunks: SnapshotChunk[] = [];
    for (let off = 0; off < all.length; off += cut) {
      const blob = all.subarray(off, off + cut);
      chunks.push({ blob, remaining: BigInt(all.length - off - blob.length) });
    }
    const info: Partial<SnapshotInfo> = {};
    expect(await drain(verifySnapshot(from(chunks), info))).toBe(1032);
    expect(info.sha256).toBe(sha.toString("hex"));
  }
});

test("chunks that live only until the next one (a reused receive buffer) still verify", async () => {
  const db = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
  const all = Buffer.concat([db, createHash("sha256").update(db).digest()]);
  for (const cut of [33, 100, 4096]) {
    const scratch = Buffer.alloc(cut);
    async function* reused(): AsyncGenerator<SnapshotChunk> {
      for (let off = 0; off < all.length; off += cut) {
        const n = Math.min(cut, all.length - off);
        scratch.set(all.subarray(off, off + n)); // overwrites what the consumer saw last time
        yield { blob: scratch.subarray(0, n), remaining: BigInt(Math.max(0, db.length - off - n)) };
      }
    }
    const info: Partial<SnapshotInfo> = {};
    expect(await drain(verifySnapshot(reused(), info))).toBe(all.length);
    expect(info.sha256).toBe(all.subarray(db.length).toString("hex"));
  }
});

test("a mismatch, a short stream and an empty stream are errors", async () => {
  const db = Buffer.alloc(100, 1);
  const bad = Buffer.concat([db, Buffer.alloc(32, 0)]);
  const expectEtcd = async (chunks: SnapshotChunk[], msg: RegExp) => {
    const e = await drain(verifySnapshot(from(chunks))).then(
      () => undefined,
      (x) => x,
    );
    expect(isRkeToolsError(e, ErrorCode.Etcd)).toBe(true);
    expect((e as Error).message).toMatch(msg);
  };
  await expectEtcd([{ blob: bad, remaining: 0n }], /SHA-256 mismatch/);
  await expectEtcd([{ blob: bad.subarray(0, 50), remaining: 82n }], /ended early: 82 bytes missing/);
  await expectEtcd([{ blob: Buffer.alloc(10), remaining: 0n }], /too short/);
  await expectEtcd([], /empty snapshot stream/);
});

describeWith(etcdComponents, "snapshot stream from a real etcd", () => {
  let etcd: EtcdServer;
  let chunks: SnapshotChunk[];
  let dir: string;
  beforeAll(async () => {
    etcd = await startEtcd();
    await etcd.fill(2 * 2 ** 20);
    const c = EtcdClient.connect(parseEndpoints(etcd.endpoint)[0]!, loadTlsFiles({ cacert: etcd.pki.ca, cert: etcd.pki.client.cert, key: etcd.pki.client.key }));
    expect((await checkHealth(c)).healthy).toBe(true);
    chunks = [];
    for await (const ch of snapshotChunks(c)) chunks.push({ remaining: ch.remaining, blob: Buffer.from(ch.blob) });
    c.close();
    dir = mkdtempSync(join(tmpdir(), "rke-snap-"));
  }, 60_000);
  afterAll(async () => {
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("etcd's stream verifies, and its last message is the 32-byte trailer", async () => {
    expect(chunks.length).toBeGreaterThan(4);
    expect(chunks.at(-1)!.blob.byteLength).toBe(32);
    expect(chunks.at(-1)!.remaining).toBe(0n);
    expect(await drain(verifySnapshot(from(chunks)))).toBe(chunks.reduce((n, c) => n + c.blob.byteLength, 0));
  });

  test("a good stream is archived, and the archive's digest is that of the file on disk (the upload stores it)", async () => {
    const info: Partial<SnapshotInfo> = {};
    const path = join(dir, "good.zip");
    try {
      const res = await writeArchive(path, { name: "good", snapshot: verifySnapshot(from(chunks), info), info }, { hashArchive: true });
      expect(res.archiveSize).toBe(statSync(path).size);
      expect(res.archiveSha256).toBe(createHash("sha256").update(readFileSync(path)).digest("hex"));
    } finally {
      rmSync(path, { force: true });
    }
  });

  const corruptions: [string, () => SnapshotChunk[], RegExp][] = [
    ["a flipped byte", () => chunks.map((c, i) => (i === 3 ? { ...c, blob: Buffer.from(c.blob).fill(0, 100, 101) } : c)), /SHA-256 mismatch/],
    // etcd counts only the database in remaining_bytes, so a lost trailer shows as a mismatch.
    ["the trailer cut off", () => chunks.slice(0, -1), /SHA-256 mismatch/],
    ["the stream cut mid-way", () => chunks.slice(0, 3), /ended early: \d+ bytes missing/],
    ["a lost middle chunk", () => chunks.filter((_, i) => i !== 2), /SHA-256 mismatch/],
  ];
  for (const [label, make, msg] of corruptions) {
    test(`${label}: the archive is refused and nothing is left in the folder`, async () => {
      const info: Partial<SnapshotInfo> = {};
      const e = await writeArchive(join(dir, "x.zip"), { name: "x", snapshot: verifySnapshot(from(make()), info), info }).then(
        () => undefined,
        (x) => x,
      );
      expect((e as Error).message).toMatch(msg);
      expect(readdirSync(dir)).toEqual([]);
    });
  }
});
