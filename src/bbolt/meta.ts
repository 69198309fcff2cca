/**
 * The two meta pages. bbolt opens a file on the valid one with the higher txid and falls back to
 * the other; a snapshot is written with both valid (tx.WriteTo), so either one failing is damage.
 * The page size comes from meta 0, or, when meta 0 is damaged, from wherever meta 1 is found.
 */
import { MAGIC, META_SIZE, NO_FREELIST, PAGE_HEADER_SIZE, PageFlag, VERSION, hex64, pageHeader, pageType, parseMeta, type Meta } from "./layout.ts";
import type { PageFile } from "./page-file.ts";
import type { Problems } from "./problems.ts";

export interface MetaPage {
  index: 0 | 1;
  meta: Meta;
  /** Why it is not usable; undefined when valid. */
  invalid?: string;
}

const PAGE_SIZES = [4096, 8192, 16384, 32768, 65536, 1024, 2048];

/** Returns the meta to read the database by, or undefined when neither is valid (reported). */
export function readMetas(file: PageFile, problems: Problems): { chosen?: MetaPage; pages: MetaPage[] } {
  const at = (index: 0 | 1, pageSize: number): MetaPage => {
    const b = file.read(index * pageSize, PAGE_HEADER_SIZE + META_SIZE);
    if (b.byteLength < PAGE_HEADER_SIZE + META_SIZE) {
      return { index, meta: parseMeta(Buffer.alloc(META_SIZE), 0), invalid: `the file ends at byte ${file.size}, before it` };
    }
    const meta = parseMeta(b, PAGE_HEADER_SIZE);
    return { index, meta, invalid: whyInvalid(index, pageHeader(b), meta) };
  };
  let first = at(0, 0);
  let pageSize = first.invalid ? 0 : first.meta.pageSize;
  let second: MetaPage | undefined;
  if (!pageSize) {
    for (const ps of PAGE_SIZES) {
      const m = at(1, ps);
      if (!m.invalid && m.meta.pageSize === ps) {
        [pageSize, second] = [ps, m];
        break;
      }
    }
  }
  file.pageSize = pageSize || 4096;
  second ??= at(1, file.pageSize);
  if (!first.invalid && !second.invalid && first.meta.pageSize !== second.meta.pageSize) {
    second = { ...second, invalid: `page size ${second.meta.pageSize}, meta page 0 says ${first.meta.pageSize}` };
  }
  const pages = [first, second];
  for (const p of pages) if (p.invalid) problems.add(`meta page ${p.index} (offset ${p.index * file.pageSize})`, p.invalid);
  const valid = pages.filter((p) => !p.invalid).sort((a, b) => (b.meta.txid > a.meta.txid ? 1 : -1));
  return { chosen: valid[0], pages };
}

function whyInvalid(index: number, h: { id: number; flags: number }, m: Meta): string | undefined {
  if (m.magic !== MAGIC) return `magic 0x${m.magic.toString(16).padStart(8, "0")}, not bbolt's 0x${MAGIC.toString(16)}`;
  if (m.version !== VERSION) return `version ${m.version}, not ${VERSION}`;
  if (m.checksum !== m.computed) return `checksum ${hex64(m.checksum)} does not match its contents (FNV-64a ${hex64(m.computed)})`;
  if (h.flags !== PageFlag.meta) return `page type ${pageType(h.flags)}, not meta`;
  if (h.id !== index) return `page header says page ${h.id}`;
  if (!Number.isInteger(Math.log2(m.pageSize)) || m.pageSize < 512 || m.pageSize > 65536) return `page size ${m.pageSize} is not a power of two in [512, 65536]`;
  if (m.root < 2 || m.root >= m.pgid) return `root bucket page ${m.root} is outside [2, ${m.pgid}) (the high-water mark)`;
  if (m.freelist !== NO_FREELIST && (m.freelist < 2n || m.freelist >= BigInt(m.pgid))) return `freelist page ${m.freelist} is outside [2, ${m.pgid}) (the high-water mark)`;
  return undefined;
}
