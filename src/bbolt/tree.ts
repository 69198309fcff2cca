/**
 * A depth-first walk of bbolt's B+trees, in key order, checking what `bbolt check` checks on the
 * way: every page inside the high-water mark, of the right type, referenced once, with elements
 * inside the page and keys in order within the bounds the parent branch sets. Leaf entries go to
 * the caller as they come (the bytes are valid during the call only); memory is the stack of pages.
 */
import { BUCKET_HEADER_SIZE, BUCKET_LEAF_FLAG, ELEMENT_SIZE, PAGE_HEADER_SIZE, PageFlag, pageHeader, pageType, u64 } from "./layout.ts";
import type { PageFile } from "./page-file.ts";
import type { Problems } from "./problems.ts";

/** The name messages give the root bucket; top-level buckets are named alone ("key", not "(root)/key"). */
export const ROOT_BUCKET = "(root)";

export interface LeafEntry {
  key: Buffer;
  /** The page (and element) it is on, for messages. */
  where: string;
  /** For a bucket entry, the bucket's header and inline page. */
  value: Buffer;
  isBucket: boolean;
}

/** Sees each entry; for a bucket entry, may return the visitor of that bucket's own entries. */
export type EntryVisitor = (e: LeafEntry) => EntryVisitor | void;

/** Pages in use, one bit each: 256 KiB for an 8 GiB database of 4 KiB pages. */
export class PageBits {
  private readonly bits: Uint8Array;
  constructor(readonly pages: number) {
    this.bits = new Uint8Array(Math.ceil(pages / 8));
  }
  has(id: number): boolean {
    return (this.bits[id >> 3]! & (1 << (id & 7))) !== 0;
  }
  set(id: number): void {
    this.bits[id >> 3]! |= 1 << (id & 7);
  }
}

export class TreeWalker {
  pagesVisited = 0;
  constructor(
    private readonly file: PageFile,
    /** High-water mark: the database is pages [0, hwm). */
    private readonly hwm: number,
    readonly used: PageBits,
    private readonly problems: Problems,
    private readonly signal?: AbortSignal,
  ) {}

  where(id: number): string {
    return `page ${id} (offset ${id * this.file.pageSize})`;
  }

  /** Marks pages [id, id + count) in use; false (reported) when one is outside or already used. */
  claim(id: number, count: number, from: string): boolean {
    if (!(id >= 2 && id + count <= this.hwm)) {
      const what = id < 2 ? "is a meta page" : `is past the high-water mark (the database is pages 0-${this.hwm - 1})`;
      this.problems.add(`page ${id}`, `${count > 1 ? `with its ${count - 1} overflow pages ` : ""}${what}, referenced from ${from}`);
      return false;
    }
    for (let i = id; i < id + count; i++) {
      if (this.used.has(i)) {
        this.problems.add(this.where(i), `referenced more than once (again from ${from})`);
        return false;
      }
    }
    for (let i = id; i < id + count; i++) this.used.set(i);
    return true;
  }

  /** One bucket's entries in key order: its tree from `root`, or its inline page. */
  async bucket(name: string, root: number, inline: Buffer | undefined, visit: EntryVisitor): Promise<void> {
    if (root === 0) {
      if (!inline || inline.byteLength < PAGE_HEADER_SIZE) {
        this.problems.add(`bucket ${name}`, "inline bucket without its page");
        return;
      }
      await this.elements(inline, `bucket ${name} (inline)`, "", undefined, undefined, name, visit);
      return;
    }
    await this.page(root, `bucket ${name}`, undefined, undefined, name, visit);
  }

  private async page(id: number, from: string, lower: Buffer | undefined, upper: Buffer | undefined, bucket: string, visit: EntryVisitor): Promise<void> {
    if (!this.claim(id, 1, from)) return;
    if (++this.pagesVisited % 4096 === 0) {
      await new Promise((r) => setImmediate(r)); // lets a signal in on long walks
      this.signal?.throwIfAborted();
    }
    const { header, data } = this.file.page(id, (h) => h.id === id && this.claim(id + 1, h.overflow, this.where(id)));
    const where = this.where(id);
    if (header.id !== id) {
      this.problems.add(where, data.byteLength < this.file.pageSize ? "past the end of the file" : `its header says page ${header.id}`);
      return;
    }
    if (header.flags !== PageFlag.branch && header.flags !== PageFlag.leaf) {
      this.problems.add(where, `is a ${pageType(header.flags)} page, where bucket ${bucket} needs a branch or leaf page (referenced from ${from})`);
      return;
    }
    await this.elements(data, where, from, lower, upper, bucket, visit);
  }

  /** The elements of a branch or leaf page held in `data` (a whole page, or an inline bucket). */
  private async elements(data: Buffer, where: string, from: string, lower: Buffer | undefined, upper: Buffer | undefined, bucket: string, visit: EntryVisitor): Promise<void> {
    const h = pageHeader(data);
    const branch = h.flags === PageFlag.branch;
    if (!branch && h.flags !== PageFlag.leaf) {
      this.problems.add(where, `is a ${pageType(h.flags)} page, where bucket ${bucket} needs a branch or leaf page`);
      return;
    }
    if (PAGE_HEADER_SIZE + h.count * ELEMENT_SIZE > data.byteLength) {
      this.problems.add(where, `${h.count} elements do not fit in its ${data.byteLength} bytes`);
      return;
    }
    let prev = lower;
    for (let i = 0; i < h.count; i++) {
      const at = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
      const pos = data.readUInt32LE(at + (branch ? 0 : 4));
      const ksize = data.readUInt32LE(at + (branch ? 4 : 8));
      const vsize = branch ? 0 : data.readUInt32LE(at + 12);
      const start = at + pos;
      if (start + ksize + vsize > data.byteLength) {
        this.problems.add(where, `element ${i}: its ${branch ? "key" : "key and value"} (${ksize + vsize} bytes at ${start}) run past the page's ${data.byteLength} bytes`);
        return;
      }
      const key = data.subarray(start, start + ksize);
      if (i === 0 && lower && Buffer.compare(key, lower) < 0) {
        this.problems.add(where, `element 0: key ${show(key)} is below ${show(lower)}, the lowest ${from} allows`);
      } else if (i > 0 && prev && Buffer.compare(key, prev) <= 0) {
        this.problems.add(where, `element ${i}: key ${show(key)} is out of order (after ${show(prev)})`);
      } else if (upper && Buffer.compare(key, upper) >= 0) {
        this.problems.add(where, `element ${i}: key ${show(key)} is not below ${show(upper)}, the next key in the parent branch`);
      }
      if (branch) {
        const child = u64(data, at + 8);
        const next = i + 1 < h.count ? nextBranchKey(data, i + 1) : upper;
        await this.page(child, `${where} element ${i}`, key, next, bucket, visit);
        prev = key;
        continue;
      }
      const value = data.subarray(start + ksize, start + ksize + vsize);
      const isBucket = (data.readUInt32LE(at) & BUCKET_LEAF_FLAG) !== 0;
      const inner = visit({ key, value, isBucket, where: `${where} element ${i}` });
      const child = bucket === ROOT_BUCKET ? key.toString("latin1") : `${bucket}/${key.toString("latin1")}`;
      if (isBucket) await this.nested(child, value, where, inner ?? (() => {}));
      prev = key;
    }
  }

  /** A bucket's entries, reached from its parent's leaf. */
  private async nested(name: string, value: Buffer, where: string, visit: EntryVisitor): Promise<void> {
    if (value.byteLength < BUCKET_HEADER_SIZE) {
      this.problems.add(where, `bucket ${name}: value of ${value.byteLength} bytes is too short for a bucket header`);
      return;
    }
    await this.bucket(name, u64(value, 0), value.subarray(BUCKET_HEADER_SIZE), visit);
  }
}

function nextBranchKey(data: Buffer, i: number): Buffer | undefined {
  const at = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
  const start = at + data.readUInt32LE(at);
  const ksize = data.readUInt32LE(at + 4);
  return start + ksize <= data.byteLength ? data.subarray(start, start + ksize) : undefined;
}

/** A key for a message: printable as is, otherwise hex; long ones cut. */
export function show(key: Buffer): string {
  const printable = /^[\x20-\x7e]*$/.test(key.toString("latin1"));
  const s = printable ? JSON.stringify(key.toString("latin1")) : `0x${key.toString("hex")}`;
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
