/**
 * The etcd database inside an archive, checked by src/bbolt. A compressed entry cannot be read by
 * position, so it is copied, as it streams past for the other checks, to a temporary file in the
 * archive's folder that is unlinked as soon as it is open: its blocks are freed when the descriptor
 * closes, however the process ends (kill -9 included), and no name is left for anyone to find.
 */
import { closeSync, openSync, unlinkSync, writeSync } from "node:fs";
import { checkBolt, type BoltCheck } from "../../../bbolt/check.ts";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import { tempPathFor } from "../../../fs/atomic.ts";
import type { Check } from "./verify.ts";

export class DatabaseCopy {
  private readonly fd: number;
  private closed = false;

  /** `next to`: the archive, whose folder holds the copy (same disk as what it was taken from). */
  constructor(nextTo: string) {
    const temp = tempPathFor(nextTo);
    try {
      this.fd = openSync(temp, "wx+", 0o600);
    } catch (e) {
      throw new RkeToolsError(ErrorCode.Io, `Cannot verify ${nextTo}: cannot create a temporary copy of its database: ${(e as Error).message}`, { cause: e });
    }
    unlinkSync(temp);
  }

  write(chunk: Uint8Array): void {
    for (let off = 0; off < chunk.byteLength; ) off += writeSync(this.fd, chunk, off, chunk.byteLength - off);
  }

  async check(label: string, signal?: AbortSignal): Promise<BoltCheck> {
    return checkBolt(label, { fd: this.fd, signal });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** The report's line for the database: what etcdctl would print, or the first problem. */
export function databaseChecks(db: BoltCheck): Check[] {
  const s = db.status;
  const shape = `${db.pages} pages of ${db.pageSize} bytes, ${db.freePages} free, freelist ${db.freelist}`;
  if (db.ok && s) {
    return [{ check: "etcd database", status: "ok", detail: `hash ${s.hash}, revision ${s.revision}, ${s.totalKey} keys, ${s.totalSize} bytes (as etcdctl snapshot status); ${shape}` }];
  }
  const total = db.problems.length + db.moreProblems;
  const shown = db.problems.slice(0, 10).map((p): Check => ({ check: "etcd database", status: "fail", detail: `${p.where}: ${p.what}` }));
  if (total > shown.length) shown.push({ check: "etcd database", status: "fail", detail: `${total - shown.length} more problems (--output json lists up to ${db.problems.length})` });
  return shown;
}
