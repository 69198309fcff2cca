/**
 * `bbolt check` and `etcdctl snapshot status` in one pass over an etcd database file, without
 * etcd: both meta pages, every page reachable once and below the high-water mark, the freelist,
 * the buckets etcd needs, and etcdctl's hash, revision, key count and size. Reads by position,
 * so memory stays flat from megabytes to gigabytes.
 */
import { ErrorCode, RkeToolsError } from "../errors.ts";
import { EtcdStatusAccumulator, type BucketSummary, type EtcdStatus } from "./etcd-status.ts";
import { readFreelist } from "./freelist.ts";
import { NO_FREELIST } from "./layout.ts";
import { readMetas } from "./meta.ts";
import { PageFile } from "./page-file.ts";
import { Problems, type Problem } from "./problems.ts";
import { PageBits, ROOT_BUCKET, TreeWalker } from "./tree.ts";

export interface BoltCheck {
  path: string;
  ok: boolean;
  pageSize: number;
  /** The high-water mark: the database is this many pages. */
  pages: number;
  /** The meta page read (the valid one with the higher txid). */
  metaPage?: 0 | 1;
  txid?: string;
  freelist: "kept" | "not kept";
  freePages: number;
  /** Bytes past the last page (etcd's 32-byte SHA-256 trailer on a snapshot). */
  trailingBytes: number;
  buckets: BucketSummary[];
  /** What `etcdctl snapshot status -w json` prints for the file (when the walk could run). */
  status?: EtcdStatus;
  problems: Problem[];
  /** Problems found beyond those listed. */
  moreProblems: number;
}

/** The buckets every etcd backend has (mvcc's key index and the consistent index). */
export const ETCD_BUCKETS = ["key", "meta"];

/** Checks the file at `path`, or the open descriptor `fd` (an unlinked copy) reported as `path`. */
export async function checkBolt(path: string, opts: { signal?: AbortSignal; fd?: number } = {}): Promise<BoltCheck> {
  let file: PageFile;
  try {
    file = new PageFile(path, opts.fd);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new RkeToolsError(err.code === "ENOENT" ? ErrorCode.NotFound : ErrorCode.Io, `Cannot check ${path}: ${err.message}`, { cause: e });
  }
  try {
    return await check(file, opts.signal);
  } finally {
    file.close();
  }
}

async function check(file: PageFile, signal?: AbortSignal): Promise<BoltCheck> {
  const problems = new Problems();
  const report: BoltCheck = {
    path: file.path,
    ok: false,
    pageSize: 0,
    pages: 0,
    freelist: "not kept",
    freePages: 0,
    trailingBytes: 0,
    buckets: [],
    problems: problems.list,
    moreProblems: 0,
  };
  const finish = () => {
    report.moreProblems = problems.more;
    report.ok = problems.count === 0;
    return report;
  };
  const { chosen } = readMetas(file, problems);
  report.pageSize = file.pageSize;
  if (!chosen) return finish();
  const meta = chosen.meta;
  const hwm = meta.pgid;
  Object.assign(report, { pages: hwm, metaPage: chosen.index, txid: String(meta.txid) });
  const bytes = hwm * file.pageSize;
  if (file.size < bytes) {
    const page = Math.floor(file.size / file.pageSize);
    problems.add(
      `page ${page} (offset ${page * file.pageSize})`,
      `the file ends at byte ${file.size}, but meta page ${chosen.index} says the database is ${hwm} pages (${bytes} bytes): truncated`,
    );
    return finish();
  }
  report.trailingBytes = file.size - bytes;

  const walker = new TreeWalker(file, hwm, new PageBits(hwm), problems, signal);
  walker.used.set(0);
  walker.used.set(1);
  const kept = meta.freelist !== NO_FREELIST;
  const freed = kept ? readFreelist(file, Number(meta.freelist), hwm, walker, problems) : undefined;
  report.freelist = kept ? "kept" : "not kept";

  const etcd = new EtcdStatusAccumulator(problems);
  await walker.bucket(ROOT_BUCKET, meta.root, undefined, etcd.root);
  report.buckets = etcd.buckets;
  report.status = etcd.status(bytes);
  for (const name of ETCD_BUCKETS) {
    if (!etcd.buckets.some((b) => b.name === name)) problems.add(`bucket ${name}`, "missing: every etcd database has it (not an etcd snapshot, or its root page is damaged)");
  }
  report.freePages = accountFree(walker, freed, hwm, problems);
  return finish();
}

/** Every page below the high-water mark is in use or free, not both; runs of pages reported as one line. */
function accountFree(walker: TreeWalker, freed: PageBits | undefined, hwm: number, problems: Problems): number {
  let free = 0;
  let run: { what: string; from: number; to: number } | undefined;
  const flush = () => {
    if (run) problems.add(run.from === run.to ? `page ${run.from}` : `pages ${run.from}-${run.to}`, run.what);
    run = undefined;
  };
  for (let id = 2; id < hwm; id++) {
    const used = walker.used.has(id);
    const isFree = freed ? freed.has(id) : !used;
    const what = used && isFree ? "in use and listed free" : !used && !isFree ? "neither in use nor listed free" : undefined;
    if (isFree) free++;
    if (what && run?.what === what && run.to === id - 1) run.to = id;
    else {
      flush();
      if (what) run = { what, from: id, to: id };
    }
  }
  flush();
  return free;
}
