/** `verify --name` on this node: every archive of that name in the backup folder, and the raw snapshot. */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { archiveFileNames } from "../../../snapshot/layout.ts";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import type { Logger } from "../../../log/logger.ts";
import type { ProgressPolicy } from "../../../log/progress.ts";
import { verifySnapshotFile, type VerifyReport } from "./verify.ts";

export async function verifyLocalSnapshot(backupDir: string, name: string, opts: { signal?: AbortSignal; log?: Logger; progress?: ProgressPolicy }): Promise<VerifyReport[]> {
  const candidates = [...archiveFileNames(name), name].map((n) => join(backupDir, n));
  const present: string[] = [];
  for (const p of candidates) if ((await fsp.stat(p).catch(() => undefined))?.isFile()) present.push(p);
  if (present.length === 0) {
    throw new RkeToolsError(ErrorCode.NotFound, `Cannot verify snapshot ${name}: none of ${archiveFileNames(name).join(", ")} or ${name} is in ${backupDir}`);
  }
  const reports: VerifyReport[] = [];
  for (const p of present) {
    opts.log?.debug("Verifying", { path: p });
    const progress = opts.log && opts.progress ? { log: opts.log, policy: opts.progress } : undefined;
    reports.push(await verifySnapshotFile(p, name, { signal: opts.signal, progress }));
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
