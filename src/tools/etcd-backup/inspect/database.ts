/**
 * The etcd database inside an archive, checked by src/bbolt. A compressed entry cannot be read by
 * position, so it is copied, as it streams past for the other checks, to a temporary file in the
 * archive's folder that is unlinked as soon as it is open: its blocks are freed when the descriptor
 * closes, however the process ends (kill -9 included), and no name is left for anyone to find.
 * Where there is no room for it, the database goes unchecked with a warning; the other checks stand.
 */
import { closeSync, openSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { checkBolt, type BoltCheck } from "../../../bbolt/check.ts";
import { tempPathFor } from "../../../fs/atomic.ts";
import type { ByteSink } from "../../../fs/sink.ts";
import type { Check } from "./verify.ts";

export class DatabaseCopy implements ByteSink {
  private fd: number | undefined;
  /** Why the copy could not be made (a read-only or full folder): the database goes unchecked. */
  failure?: string;

  /** `nextTo`: the archive, whose folder holds the copy (same disk as what it was taken from). */
  constructor(nextTo: string) {
    const temp = tempPathFor(nextTo);
    try {
      this.fd = openSync(temp, "wx+", 0o600);
      unlinkSync(temp);
    } catch (e) {
      rmSync(temp, { force: true });
      this.fail(`cannot create a temporary copy in ${dirname(nextTo)}`, e);
    }
  }

  write(chunk: Uint8Array): void {
    if (this.fd === undefined) return;
    try {
      for (let off = 0; off < chunk.byteLength; ) off += writeSync(this.fd, chunk, off, chunk.byteLength - off);
    } catch (e) {
      this.fail("cannot write its temporary copy", e);
    }
  }

  /** The check of the copy; undefined when there is no whole copy (see `failure`). */
  async check(label: string, signal?: AbortSignal): Promise<BoltCheck | undefined> {
    return this.fd === undefined ? undefined : checkBolt(label, { fd: this.fd, signal });
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private fail(what: string, e: unknown): void {
    const err = e as NodeJS.ErrnoException;
    this.failure = `${what}: ${err.code === "ENOSPC" ? "no space left on device" : err.message}`;
    this.close();
  }
}

/** The report's line for the database: what etcdctl would print, or the first problem. */
export function databaseChecks(db: BoltCheck | undefined, copyFailure?: string): Check[] {
  if (!db)
    return [{ check: "etcd database", status: "warn", detail: `not checked: ${copyFailure ?? "no copy"} (the check needs room for the uncompressed snapshot beside the archive)` }];
  const s = db.status;
  const shape = `${db.pages} pages of ${db.pageSize} bytes, ${db.freePages} free, freelist ${db.freelist}`;
  if (db.ok && s) {
    return [
      { check: "etcd database", status: "ok", detail: `hash ${s.hash}, revision ${s.revision}, ${s.totalKey} keys, ${s.totalSize} bytes (as etcdctl snapshot status); ${shape}` },
    ];
  }
  const total = db.problems.length + db.moreProblems;
  const shown = db.problems.slice(0, 10).map((p): Check => ({ check: "etcd database", status: "fail", detail: `${p.where}: ${p.what}` }));
  if (total > shown.length)
    shown.push({ check: "etcd database", status: "fail", detail: `${total - shown.length} more problems (--output json lists up to ${db.problems.length})` });
  return shown;
}
