/**
 * What `etcdctl snapshot status` reports, computed the way it does (etcdctl/snapshot, Status):
 * CRC-32C over each top-level bucket's name and then its keys and values in key order (a nested
 * bucket's value counts as nothing), every such key counted, the revision read from the last key
 * of the `key` bucket (its first 8 bytes, big-endian), the size as the high-water mark in bytes.
 */
import CRC32C from "crc-32/crc32c";
import { show, type EntryVisitor } from "./tree.ts";
import type { Problems } from "./problems.ts";

export interface EtcdStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

export interface BucketSummary {
  name: string;
  keys: number;
}

/** etcd's revision keys: 8 bytes main, '_', 8 bytes sub, and 't' on a tombstone. */
function isRevisionKey(k: Buffer): boolean {
  return (k.byteLength === 17 || (k.byteLength === 18 && k[17] === 0x74)) && k[8] === 0x5f;
}

export class EtcdStatusAccumulator {
  private crc = 0;
  private lastRevisionKey: Buffer | undefined;
  totalKey = 0;
  readonly buckets: BucketSummary[] = [];

  constructor(private readonly problems: Problems) {}

  /** The visitor of the root bucket: each entry is a top-level bucket. */
  readonly root: EntryVisitor = (e) => {
    const name = e.key.toString("latin1");
    if (!e.isBucket) {
      this.problems.add(e.where, `top-level key ${show(e.key)} is not a bucket (etcdctl cannot hash it)`);
      return;
    }
    this.crc = CRC32C.buf(e.key, this.crc);
    const summary = { name, keys: 0 };
    this.buckets.push(summary);
    const isKeyBucket = name === "key";
    let badKeys = 0;
    return (kv) => {
      this.crc = CRC32C.buf(kv.key, this.crc);
      if (!kv.isBucket) this.crc = CRC32C.buf(kv.value, this.crc);
      summary.keys++;
      this.totalKey++;
      if (!isKeyBucket) return;
      if (!isRevisionKey(kv.key) && badKeys++ === 0) this.problems.add(kv.where, `bucket key: ${show(kv.key)} is not an etcd revision (8 bytes, '_', 8 bytes)`);
      this.lastRevisionKey = Buffer.from(kv.key.subarray(0, 8));
    };
  };

  status(totalSize: number): EtcdStatus {
    const rev = this.lastRevisionKey && this.lastRevisionKey.byteLength === 8 ? this.lastRevisionKey.readBigInt64BE(0) : 0n;
    return { hash: this.crc >>> 0, revision: Number(rev), totalKey: this.totalKey, totalSize };
  }
}
