/**
 * Damage made to a copy of a real etcd snapshot, one kind per function, by reading bbolt's page
 * headers directly (an independent reading of the layout: bbolt's internal/common/page.go).
 */
import { createHash } from "node:crypto";

export const PS = 4096;
const NO_FREELIST = 0xffff_ffff_ffff_ffffn;

export interface Page {
  id: number;
  flags: number;
  count: number;
  overflow: number;
  offset: number;
}

export function hwm(db: Buffer): number {
  return Number(db.readBigUInt64LE(16 + 40));
}

/** Every page that starts where its header says (branch 1, leaf 2, meta 4, freelist 0x10), skipping overflow. */
export function pages(db: Buffer): Page[] {
  const out: Page[] = [];
  for (let id = 0; id < hwm(db); ) {
    const o = id * PS;
    const p = { id: Number(db.readBigUInt64LE(o)), flags: db.readUInt16LE(o + 8), count: db.readUInt16LE(o + 10), overflow: db.readUInt32LE(o + 12), offset: o };
    if (p.id === id && [1, 2, 4, 0x10].includes(p.flags)) {
      out.push(p);
      id += 1 + p.overflow;
    } else id++;
  }
  return out;
}

/** Offset of element `i`'s key on a branch (pos at +0) or leaf (pos at +4) page. */
export function keyAt(db: Buffer, p: Page, i: number): { at: number; size: number } {
  const e = p.offset + 16 + i * 16;
  return p.flags === 1 ? { at: e + db.readUInt32LE(e), size: db.readUInt32LE(e + 4) } : { at: e + db.readUInt32LE(e + 4), size: db.readUInt32LE(e + 8) };
}

/** FNV-64a over the meta's first 56 bytes (Go's hash/fnv). */
function fnv64a(b: Buffer): bigint {
  let h = 0xcbf29ce484222325n;
  for (const x of b) h = ((h ^ BigInt(x)) * 0x100000001b3n) & 0xffff_ffff_ffff_ffffn;
  return h;
}

/** Sets a meta field (offset in the meta body) on both meta pages and re-seals their checksums. */
export function setMeta64(db: Buffer, field: number, v: bigint): void {
  for (const page of [0, 1]) {
    const m = page * PS + 16;
    db.writeBigUInt64LE(v, m + field);
    db.writeBigUInt64LE(fnv64a(db.subarray(m, m + 56)), m + 56);
  }
}

/** Re-seals etcd's SHA-256 trailer after an edit (so only the damage under test is left). */
export function resealTrailer(db: Buffer): Buffer {
  const body = db.subarray(0, db.byteLength - 32);
  return Buffer.concat([body, createHash("sha256").update(body).digest()]);
}

/**
 * The same database with its freelist kept, as bbolt writes it without NoFreelistSync: a freelist
 * page appended at the high-water mark listing `free`, the mark moved past it.
 */
export function withFreelist(db: Buffer, free: number[]): Buffer {
  const mark = hwm(db);
  const page = Buffer.alloc(PS * Math.ceil((16 + 8 + free.length * 8) / PS));
  page.writeBigUInt64LE(BigInt(mark), 0);
  page.writeUInt16LE(0x10, 8);
  page.writeUInt32LE(page.byteLength / PS - 1, 12);
  let at = 16;
  if (free.length >= 0xffff) {
    page.writeUInt16LE(0xffff, 10);
    page.writeBigUInt64LE(BigInt(free.length), at);
    at += 8;
  } else page.writeUInt16LE(free.length, 10);
  for (const id of [...free].sort((a, b) => a - b)) page.writeBigUInt64LE(BigInt(id), at), (at += 8);
  const out = Buffer.concat([db.subarray(0, mark * PS), page, db.subarray(db.byteLength - 32)]);
  setMeta64(out, 32, BigInt(mark)); // freelist
  setMeta64(out, 40, BigInt(mark + page.byteLength / PS)); // pgid
  return resealTrailer(out);
}

export const noFreelist = (db: Buffer) => db.readBigUInt64LE(16 + 32) === NO_FREELIST;

/** The root page of a top-level bucket, from the root leaf (a bucket value: root u64, sequence u64). */
export function bucketRoot(db: Buffer, name: string): Page {
  const root = Number(db.readBigUInt64LE(16 + 16));
  const leaf = pages(db).find((p) => p.id === root)!;
  for (let i = 0; i < leaf.count; i++) {
    const k = keyAt(db, leaf, i);
    if (db.toString("latin1", k.at, k.at + k.size) === name) {
      const id = Number(db.readBigUInt64LE(k.at + k.size));
      return pages(db).find((p) => p.id === id)!;
    }
  }
  throw new Error(`no bucket ${name}`);
}

export function flip(db: Buffer, at: number, mask: number): void {
  db.writeUInt8(db.readUInt8(at) ^ mask, at);
}

/** The leaf pages under `top` (a bucket's root), by its branch elements: only pages in use. */
export function leavesUnder(db: Buffer, top: Page): Page[] {
  if (top.flags === 2) return [top];
  const byId = new Map(pages(db).map((p) => [p.id, p]));
  return Array.from({ length: top.count }, (_, i) => byId.get(Number(db.readBigUInt64LE(top.offset + 16 + i * 16 + 8)))!).flatMap((p) => leavesUnder(db, p));
}
