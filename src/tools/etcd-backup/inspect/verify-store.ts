/** `verify --name`: every copy of that name a store keeps (its archives, then the raw snapshot), read whole. */
import { basename } from "node:path";
import { ErrorCode, RkeToolsError, isRkeToolsError, messageOf } from "../../../errors.ts";
import type { Logger } from "../../../log/logger.ts";
import type { ProgressPolicy } from "../../../log/progress.ts";
import { parseArchiveFileName } from "../../../snapshot/layout.ts";
import type { SnapshotStore } from "../../../snapshot/stores/store.ts";
import { verifySnapshotFile, type VerifyReport } from "./verify.ts";

export async function verifyInStore(store: SnapshotStore, name: string, opts: { signal?: AbortSignal; log?: Logger; progress?: ProgressPolicy }): Promise<VerifyReport[]> {
  const copies = await store.stat(name, opts);
  if (copies.length === 0) throw new RkeToolsError(ErrorCode.NotFound, `Cannot verify snapshot ${name}: ${store.absent(name)}`);
  const reports: VerifyReport[] = [];
  for (const copy of copies) {
    opts.log?.debug("Verifying", { [store.whereField]: copy.where });
    const fetched = await store.fetch(copy, opts).catch((e) => {
      if (isRkeToolsError(e, ErrorCode.Aborted)) throw e;
      throw new RkeToolsError(isRkeToolsError(e) ? e.code : ErrorCode.Io, `Cannot verify snapshot ${name}: ${messageOf(e)}`, { cause: e });
    });
    try {
      const progress = opts.log && opts.progress ? { log: opts.log, policy: opts.progress } : undefined;
      const report = await verifySnapshotFile(fetched.path, name, { signal: opts.signal, stored: copy.stored, progress });
      if (fetched.path !== copy.where) {
        // A temporary copy: reports name what the store holds, and the key's name says the format.
        report.target = copy.label;
        for (const c of report.checks) c.detail = c.detail.split(fetched.path).join(copy.label);
        const f = report.checks.find((c) => c.check === "format");
        const named = parseArchiveFileName(basename(copy.where))?.format;
        if (f && f.status === "ok" && named && report.format && named !== report.format) f.detail += `; the key says ${named}, readers go by the bytes`;
      }
      reports.push(report);
    } finally {
      await fetched.release();
    }
  }
  return reports;
}

/** Throws the first failed check of any report: one line, for the shell's last line. */
export function verdict(name: string, reports: VerifyReport[]): void {
  for (const r of reports) {
    const failed = r.checks.find((c) => c.status === "fail");
    if (failed) throw new RkeToolsError(ErrorCode.Archive, `Cannot verify snapshot ${name}: ${r.target}: ${failed.check}: ${failed.detail}`);
  }
}
