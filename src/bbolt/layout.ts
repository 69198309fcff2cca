/**
 * bbolt's on-disk layout (go.etcd.io/bbolt, internal/common: page.go, meta.go, bucket.go), all
 * little-endian. A page starts with a 16-byte header; a meta page's body is the 64-byte meta; a
 * branch or leaf page's body is an array of 16-byte elements whose `pos` is relative to the element.
 */
export const PAGE_HEADER_SIZE = 16;
export const ELEMENT_SIZE = 16;
export const BUCKET_HEADER_SIZE = 16;
export const META_SIZE = 64;
/** The checksum covers the meta up to the checksum field. */
export const META_CHECKSUMMED = 56;
export const MAGIC = 0xed0cdaed;
export const VERSION = 2;
/** meta.freelist when the freelist is not written (etcd's NoFreelistSync): free = unreachable. */
export const NO_FREELIST = 0xffff_ffff_ffff_ffffn;

export const PageFlag = { branch: 0x01, leaf: 0x02, meta: 0x04, freelist: 0x10 } as const;
export const BUCKET_LEAF_FLAG = 0x01;

export interface PageHeader {
  id: number;
  flags: number;
  count: number;
  overflow: number;
}

export function pageHeader(b: Buffer, at = 0): PageHeader {
  return { id: u64(b, at), flags: b.readUInt16LE(at + 8), count: b.readUInt16LE(at + 10), overflow: b.readUInt32LE(at + 12) };
}

export function pageType(flags: number): string {
  for (const [name, f] of Object.entries(PageFlag)) if (flags === f) return name;
  return `unknown (flags 0x${flags.toString(16)})`;
}

export interface Meta {
  magic: number;
  version: number;
  pageSize: number;
  flags: number;
  /** The root bucket's root page. */
  root: number;
  freelist: bigint;
  /** High-water mark: pages [0, pgid) are the database. */
  pgid: number;
  txid: bigint;
  checksum: bigint;
  /** FNV-64a of the first 56 bytes, what `checksum` must equal. */
  computed: bigint;
}

/** `b` holds the 64 meta bytes at `at` (16 past the page start). */
export function parseMeta(b: Buffer, at: number): Meta {
  return {
    magic: b.readUInt32LE(at),
    version: b.readUInt32LE(at + 4),
    pageSize: b.readUInt32LE(at + 8),
    flags: b.readUInt32LE(at + 12),
    root: u64(b, at + 16),
    freelist: b.readBigUInt64LE(at + 32),
    pgid: u64(b, at + 40),
    txid: b.readBigUInt64LE(at + 48),
    checksum: b.readBigUInt64LE(at + 56),
    computed: fnv64a(b.subarray(at, at + META_CHECKSUMMED)),
  };
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffff_ffff_ffff_ffffn;

/** FNV-1a, 64 bits (Go's hash/fnv New64a), for the 56 bytes of a meta page. */
export function fnv64a(data: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (const byte of data) h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK64;
  return h;
}

/**
 * A page id or offset as a number: ids beyond 2^53 are garbage in any real file, and are
 * kept distinguishable (Infinity) rather than rounded onto a real page.
 */
export function u64(b: Buffer, at: number): number {
  const v = b.readBigUInt64LE(at);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Infinity;
}

export const hex64 = (v: bigint) => `0x${v.toString(16).padStart(16, "0")}`;
