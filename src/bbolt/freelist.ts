/**
 * The freelist page, when the database keeps one (etcd's own files do not: NoFreelistSync, so
 * every page nothing references is free). Its ids: u16 count in the header, or 0xFFFF and the
 * count in the first u64 of the body.
 */
import { PAGE_HEADER_SIZE, PageFlag, pageType } from "./layout.ts";
import type { PageFile } from "./page-file.ts";
import type { Problems } from "./problems.ts";
import { PageBits, type TreeWalker } from "./tree.ts";

/** Marks the freelist's own pages in use and returns the pages it lists as free (reported when wrong). */
export function readFreelist(file: PageFile, id: number, hwm: number, walker: TreeWalker, problems: Problems): PageBits {
  const freed = new PageBits(hwm);
  const where = walker.where(id);
  if (!walker.claim(id, 1, "the meta page")) return freed;
  const { header, data } = file.page(id, (h) => h.id === id && walker.claim(id + 1, h.overflow, where));
  if (header.id !== id || header.flags !== PageFlag.freelist) {
    problems.add(where, header.id !== id ? `the meta page's freelist, but its header says page ${header.id}` : `the meta page's freelist is a ${pageType(header.flags)} page`);
    return freed;
  }
  let count = header.count;
  let at = PAGE_HEADER_SIZE;
  if (count === 0xffff) {
    count = Number(data.readBigUInt64LE(at));
    at += 8;
  }
  if (at + count * 8 > data.byteLength) {
    problems.add(where, `freelist of ${count} page ids does not fit in its ${data.byteLength} bytes`);
    return freed;
  }
  for (let i = 0; i < count; i++, at += 8) {
    const free = data.readBigUInt64LE(at);
    if (free < 2n || free >= BigInt(hwm)) {
      problems.add(where, `freelist entry ${i}: page ${free} is outside [2, ${hwm}) (the high-water mark)`);
    } else if (freed.has(Number(free))) {
      problems.add(where, `freelist entry ${i}: page ${free} is listed twice`);
    } else {
      freed.set(Number(free));
    }
  }
  return freed;
}
