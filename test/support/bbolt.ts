/**
 * A small etcd-shaped bbolt file for tests that have no etcd at hand (S3, faults): the `key`
 * bucket with one revision whose value spans overflow pages, the `meta` bucket inline, both meta
 * pages sealed, etcd's SHA-256 trailer at the end. Written from bbolt's layout (internal/common),
 * independently of src/bbolt; `etcdctl snapshot status` reads it (test/bbolt checks that).
 */
import { createHash, randomBytes } from "node:crypto";

const PS = 4096;

function fnv64a(b: Buffer): bigint {
  let h = 0xcbf29ce484222325n;
  for (const x of b) h = ((h ^ BigInt(x)) * 0x100000001b3n) & 0xffff_ffff_ffff_ffffn;
  return h;
}

/** A leaf page (or inline page) of `entries`: [key, value, flags]. */
function leaf(id: number, entries: [Buffer, Buffer, number][], size?: number): Buffer {
  const data = Buffer.concat(entries.flatMap(([k, v]) => [k, v]));
  const used = 16 + entries.length * 16 + data.byteLength;
  const page = Buffer.alloc(size ?? Math.ceil(used / PS) * PS);
  page.writeBigUInt64LE(BigInt(id), 0);
  page.writeUInt16LE(0x02, 8);
  page.writeUInt16LE(entries.length, 10);
  if (size === undefined) page.writeUInt32LE(page.byteLength / PS - 1, 12);
  let at = 16 + entries.length * 16;
  entries.forEach(([k, v, flags], i) => {
    const e = 16 + i * 16;
    page.writeUInt32LE(flags, e);
    page.writeUInt32LE(at - e, e + 4);
    page.writeUInt32LE(k.byteLength, e + 8);
    page.writeUInt32LE(v.byteLength, e + 12);
    k.copy(page, at);
    v.copy(page, at + k.byteLength);
    at += k.byteLength + v.byteLength;
  });
  return page;
}

function bucketValue(root: number, inline?: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeBigUInt64LE(BigInt(root), 0);
  return inline ? Buffer.concat([h, inline]) : h;
}

/** An etcd snapshot file of a little more than `valueBytes`: one revision (main 1) holding them. */
export function makeBoltSnapshot(valueBytes: number): Buffer {
  const rev = Buffer.alloc(17);
  rev.writeBigUInt64BE(1n, 0);
  rev[8] = 0x5f;
  const keyLeaf = leaf(3, [[rev, randomBytes(valueBytes), 0]]);
  const index = Buffer.alloc(8);
  index.writeBigUInt64BE(1n);
  const metaInline = leaf(0, [[Buffer.from("consistent_index"), index, 0]], 16 + 16 + 16 + 8);
  const root = leaf(2, [
    [Buffer.from("key"), bucketValue(3), 1],
    [Buffer.from("meta"), bucketValue(0, metaInline), 1],
  ]);
  const pgid = 3 + keyLeaf.byteLength / PS;
  const metas = [0, 1].map((id) => {
    const p = Buffer.alloc(PS);
    p.writeBigUInt64LE(BigInt(id), 0);
    p.writeUInt16LE(0x04, 8);
    const m = 16;
    p.writeUInt32LE(0xed0cdaed, m);
    p.writeUInt32LE(2, m + 4);
    p.writeUInt32LE(PS, m + 8);
    p.writeBigUInt64LE(2n, m + 16); // root bucket's page
    p.writeBigUInt64LE(0xffff_ffff_ffff_ffffn, m + 32); // no freelist (etcd's NoFreelistSync)
    p.writeBigUInt64LE(BigInt(pgid), m + 40);
    p.writeBigUInt64LE(BigInt(3 - id), m + 48); // txid: meta 0 the newer, as tx.WriteTo writes them
    p.writeBigUInt64LE(fnv64a(p.subarray(m, m + 56)), m + 56);
    return p;
  });
  const body = Buffer.concat([...metas, root, keyLeaf]);
  return Buffer.concat([body, createHash("sha256").update(body).digest()]);
}
