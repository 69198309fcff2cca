/**
 * The bbolt reader against the reference: on real etcd snapshots (etcdctl's own), our hash,
 * revision, key count and size equal `etcdctl snapshot status -w json`; and each kind of damage,
 * made here to a copy, is found with a line naming what is wrong and where.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkBolt, type BoltCheck } from "../../src/bbolt/check.ts";
import { makeBoltSnapshot } from "../support/bbolt.ts";
import { describeWith } from "../support/components.ts";
import { etcdComponents, startEtcd, type EtcdServer } from "../support/etcd.ts";
import { PS, bucketRoot, flip, leavesUnder, hwm, keyAt, noFreelist, pages, resealTrailer, setMeta64, withFreelist } from "./damage.ts";

const MB = 2 ** 20;
let dir: string;

function etcdctlStatus(path: string): { hash: number; revision: number; totalKey: number; totalSize: number } {
  const r = Bun.spawnSync(["etcdctl", "snapshot", "status", "-w", "json", path], { env: { PATH: process.env.PATH, ETCDCTL_API: "3" } });
  if (r.exitCode !== 0) throw new Error(`etcdctl snapshot status: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString());
}

async function check(name: string, db: Buffer): Promise<BoltCheck & { lines: string[] }> {
  const p = join(dir, name);
  writeFileSync(p, db);
  const c = await checkBolt(p);
  return { ...c, lines: c.problems.map((x) => `${x.where}: ${x.what}`) };
}

describeWith(etcdComponents, "bbolt check and status on real etcd snapshots", () => {
  let etcd: EtcdServer;
  let snap: Buffer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "rke-bbolt-"));
    etcd = await startEtcd();
    await etcd.fill(3 * MB, 1024); // ~3000 keys: branch pages in the key bucket
    await etcd.fill(2 * MB, 64 * 1024); // rewrites 32 of them with values spanning overflow pages
    expect(etcd.etcdctl(["del", "--prefix", "/registry/configmaps/ns-3/"]).code).toBe(0); // tombstones
    const out = join(dir, "etcdctl.db");
    expect(etcd.etcdctl(["snapshot", "save", out]).code).toBe(0);
    snap = readFileSync(out);
  }, 120_000);
  afterAll(async () => {
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a whole snapshot: no problem, the values etcdctl prints, etcd's buckets", async () => {
    const c = await check("whole.db", snap);
    expect(c.lines).toEqual([]);
    expect(c.ok).toBe(true);
    expect(c.status).toEqual(etcdctlStatus(join(dir, "whole.db")));
    expect(c.trailingBytes).toBe(32);
    expect(c.freelist).toBe("not kept"); // etcd opens bbolt with NoFreelistSync
    expect(noFreelist(snap)).toBe(true);
    expect(c.buckets.map((b) => b.name)).toEqual(expect.arrayContaining(["key", "meta", "members", "lease"]));
    expect(c.buckets.find((b) => b.name === "key")!.keys).toBeGreaterThan(3000);
    expect(bucketRoot(snap, "key").flags).toBe(1); // the walk went through branches
    expect(leavesUnder(snap, bucketRoot(snap, "key")).some((p) => p.overflow > 0)).toBe(true); // and overflow pages
  });

  test("meta page 0 with a flipped byte: its checksum, at offset 0", async () => {
    const db = Buffer.from(snap);
    flip(db, 16 + 40, 0x01); // the high-water mark
    const c = await check("meta0.db", db);
    expect(c.ok).toBe(false);
    expect(c.lines).toEqual([expect.stringMatching(/^meta page 0 \(offset 0\): checksum 0x[0-9a-f]{16} does not match its contents \(FNV-64a 0x[0-9a-f]{16}\)$/)]);
    expect(c.metaPage).toBe(1); // read on by the other one, as bbolt does
    expect(c.status).toEqual(etcdctlStatus(join(dir, "meta0.db"))); // etcdctl falls back silently
  });

  test("meta page 1 with a flipped magic byte", async () => {
    const db = Buffer.from(snap);
    flip(db, PS + 16, 0xff);
    const c = await check("meta1.db", db);
    expect(c.lines).toEqual([`meta page 1 (offset ${PS}): magic 0xed0cda12, not bbolt's 0xed0cdaed`]);
  });

  test("both meta pages damaged: each named, nothing else read", async () => {
    const db = Buffer.from(snap);
    flip(db, 16 + 50, 0x10);
    flip(db, PS + 16 + 50, 0x10);
    const c = await check("metas.db", db);
    expect(c.lines).toHaveLength(2);
    expect(c.lines[0]).toStartWith("meta page 0 (offset 0): checksum");
    expect(c.lines[1]).toStartWith(`meta page 1 (offset ${PS}): checksum`);
    expect(c.status).toBeUndefined();
  });

  /** The key bucket's root: a branch page with thousands of keys under it. */
  const branch = () => {
    const b = bucketRoot(snap, "key");
    expect(b.flags).toBe(1);
    expect(b.count).toBeGreaterThanOrEqual(3);
    return b;
  };

  test("a flipped byte in a branch page's key: out of order, on that page", async () => {
    const db = Buffer.from(snap);
    const b = branch();
    db.writeUInt8(0xff, keyAt(db, b, 1).at); // the revision's high byte: above element 2
    const c = await check("branch-key.db", db);
    // Its child's first key is now below it, and element 2 is below it too: both lines name the page.
    expect(c.lines[0]).toMatch(
      new RegExp(`^page \\d+ \\(offset \\d+\\): element 0: key 0x[0-9a-f]+ is below 0xff[0-9a-f]+, the lowest page ${b.id} \\(offset ${b.offset}\\) element 1 allows$`),
    );
    expect(c.lines).toContainEqual(
      expect.stringMatching(new RegExp(`^page ${b.id} \\(offset ${b.offset}\\): element 2: key 0x[0-9a-f]+ is out of order \\(after 0xff[0-9a-f]+\\)$`)),
    );
  });

  test("a branch element pointing past the high-water mark", async () => {
    const db = Buffer.from(snap);
    const b = branch();
    db.writeBigUInt64LE(BigInt(hwm(db) + 5), b.offset + 16 + 8);
    const c = await check("past-hwm.db", db);
    expect(c.lines).toContain(
      `page ${hwm(db) + 5}: is past the high-water mark (the database is pages 0-${hwm(db) - 1}), referenced from page ${b.id} (offset ${b.offset}) element 0`,
    );
  });

  test("two branch elements pointing at one page: referenced more than once", async () => {
    const db = Buffer.from(snap);
    const b = branch();
    const child = db.readBigUInt64LE(b.offset + 16 + 8);
    db.writeBigUInt64LE(child, b.offset + 16 + 16 + 8);
    const c = await check("twice.db", db);
    expect(c.lines.some((l) => l.startsWith(`page ${child} (offset ${Number(child) * PS}): referenced more than once (again from page ${b.id}`))).toBe(true);
  });

  test("a leaf page whose header names another page", async () => {
    const db = Buffer.from(snap);
    const leaf = leavesUnder(snap, bucketRoot(snap, "key"))[1]!;
    flip(db, leaf.offset, 0x40);
    const c = await check("leaf-id.db", db);
    expect(c.lines).toContain(`page ${leaf.id} (offset ${leaf.offset}): its header says page ${leaf.id ^ 0x40}`);
  });

  test("a leaf element whose size runs past its page", async () => {
    const db = Buffer.from(snap);
    const leaf = leavesUnder(snap, bucketRoot(snap, "key")).find((p) => p.count > 2 && p.overflow === 0)!;
    db.writeUInt32LE(0x10000, leaf.offset + 16 + 16 + 12); // element 1's value size
    const c = await check("leaf-size.db", db);
    expect(c.lines[0]).toMatch(new RegExp(`^page ${leaf.id} \\(offset ${leaf.offset}\\): element 1: its key and value \\(\\d+ bytes at \\d+\\) run past the page's ${PS} bytes$`));
  });

  test("a flipped byte in a leaf value: the tree holds, the hash moves (etcd's SHA-256 trailer is what catches it)", async () => {
    const db = Buffer.from(snap);
    const big = leavesUnder(snap, bucketRoot(snap, "key")).find((p) => p.overflow > 0)!; // in use, not a free page's stale copy
    flip(db, big.offset + PS + 100, 0x01); // inside the value, on its first overflow page
    const c = await check("leaf-value.db", db);
    expect(c.lines).toEqual([]);
    expect(c.status!.hash).not.toBe((await check("again.db", snap)).status!.hash);
    expect(c.status).toEqual(etcdctlStatus(join(dir, "leaf-value.db")));
  });

  test("a truncated file: where it ends and what the meta page says", async () => {
    const cut = Math.floor(snap.byteLength / 2);
    const c = await check("truncated.db", snap.subarray(0, cut));
    const page = Math.floor(cut / PS);
    expect(c.lines).toEqual([
      `page ${page} (offset ${page * PS}): the file ends at byte ${cut}, but meta page 0 says the database is ${hwm(snap)} pages (${hwm(snap) * PS} bytes): truncated`,
    ]);
  });

  test("a missing bucket (its name changed in the root page)", async () => {
    const db = Buffer.from(snap);
    const root = Number(db.readBigUInt64LE(16 + 16));
    const at = db.indexOf("meta", root * PS);
    expect(at).toBeLessThan((root + 1) * PS);
    db.write("metb", at); // still sorted last
    const c = await check("no-meta.db", resealTrailer(db));
    expect(c.lines).toEqual(["bucket meta: missing: every etcd database has it (not an etcd snapshot, or its root page is damaged)"]);
  });

  test("the small etcd-shaped file other tests use (test/support/bbolt.ts): etcdctl reads it, we agree", async () => {
    const c = await check("made.db", makeBoltSnapshot(100_000));
    expect(c.lines).toEqual([]);
    expect(c.status).toEqual(etcdctlStatus(join(dir, "made.db")));
  });

  test("not a database at all", async () => {
    const c = await check("text.db", Buffer.alloc(3 * PS, "not bbolt"));
    expect(c.lines[0]).toStartWith("meta page 0 (offset 0): magic 0x");
    expect((await check("empty.db", Buffer.alloc(0))).lines[0]).toBe("meta page 0 (offset 0): the file ends at byte 0, before it");
  });

  describe("with a kept freelist", () => {
    let free: number[];
    let kept: Buffer;
    beforeAll(async () => {
      // Appending an empty freelist shows the free pages as "neither in use nor listed free".
      const empty = await check("empty-freelist.db", withFreelist(snap, []));
      free = empty.lines.flatMap((l) => {
        const m = /^pages? (\d+)(?:-(\d+))?: neither in use nor listed free$/.exec(l);
        if (!m) return [];
        const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
        return Array.from({ length: b - a + 1 }, (_, i) => a + i);
      });
      kept = withFreelist(snap, free);
    });

    test("listing the free pages: no problem, and bbolt (through etcdctl) agrees", async () => {
      expect(free.length).toBeGreaterThan(0);
      const c = await check("kept.db", kept);
      expect(c.lines).toEqual([]);
      expect(c.freelist).toBe("kept");
      expect(c.freePages).toBe(free.length);
      expect(c.status).toEqual(etcdctlStatus(join(dir, "kept.db"))); // tx.Check passed there too
    });

    test("a zeroed freelist page", async () => {
      const db = Buffer.from(kept);
      const at = hwm(snap) * PS;
      db.fill(0, at, at + PS);
      const c = await check("zeroed-freelist.db", db);
      expect(c.lines[0]).toBe(`page ${hwm(snap)} (offset ${at}): the meta page's freelist, but its header says page 0`);
    });

    test("a page in use listed free, and a page listed twice", async () => {
      const db = Buffer.from(kept);
      const root = db.readBigUInt64LE(16 + 16);
      const list = hwm(snap) * PS + 16;
      db.writeBigUInt64LE(root, list);
      db.writeBigUInt64LE(db.readBigUInt64LE(list + 16), list + 8);
      const c = await check("free-in-use.db", db);
      expect(c.lines).toContain(`page ${hwm(snap)} (offset ${hwm(snap) * PS}): freelist entry 2: page ${db.readBigUInt64LE(list + 16)} is listed twice`);
      expect(c.lines).toContain(`page ${root}: in use and listed free`);
    });

    test("a freelist that moved the high-water mark without the pages", async () => {
      const db = Buffer.from(kept);
      setMeta64(db, 40, BigInt(hwm(kept) + 3));
      const c = await check("short.db", db);
      expect(c.lines[0]).toMatch(/: the file ends at byte \d+, but meta page 0 says the database is \d+ pages \(\d+ bytes\): truncated$/);
    });
  });
});

describeWith(etcdComponents, "bbolt status on a 64 MiB etcd snapshot", () => {
  let etcd: EtcdServer;
  let path: string;
  beforeAll(async () => {
    etcd = await startEtcd();
    await etcd.fill(64 * MB, 8 * 1024);
    path = join(etcd.dir, "64m.db");
    expect(etcd.etcdctl(["snapshot", "save", path]).code).toBe(0);
  }, 300_000);
  afterAll(async () => etcd?.stop());

  test("equals etcdctl snapshot status, with no problem", async () => {
    const c = await checkBolt(path);
    expect(c.problems).toEqual([]);
    expect(c.status!.totalSize).toBeGreaterThan(64 * MB);
    expect(c.status).toEqual(etcdctlStatus(path));
  }, 120_000);
});
