/**
 * serve's first step (docs/contract.md §o-8): when `/backup/<name>.zip` exists, its entry `/backup/<name>`
 * becomes `/backup/<name>`, because the peers need the uncompressed bytes (docs/contract.md §d-16). Unlike the
 * original, it writes a temporary file (0600) and renames it, so a failed extraction leaves no
 * truncated snapshot behind, and the caller validates its flags first.
 */
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { openSnapshotArchive } from "../../../snapshot/archive.ts";
import { cleanStaleTemps } from "../../../fs/atomic.ts";
import type { Paths } from "../../../fs/paths.ts";
import { silentLogger, type Logger } from "../../../log/logger.ts";
import { Progress, type ProgressPolicy } from "../../../log/progress.ts";
import { assertExists } from "../../../fs/exists.ts";
import { existingArchivePath, rawPath } from "../../../snapshot/layout.ts";

export interface PrepareOptions {
  paths: Paths;
  signal?: AbortSignal;
  log?: Logger;
  /** Progress lines while the snapshot is extracted; none when undefined. */
  progress?: ProgressPolicy;
}

/** Returns the path of the uncompressed snapshot, extracting it first when the zip is there. */
export async function prepareSnapshot(name: string, opts: PrepareOptions): Promise<{ file: string; extracted: boolean }> {
  const log = opts.log ?? silentLogger;
  const zip = existingArchivePath(opts.paths.backup, name); // `<name>.zip`, else a tar format's archive (read by its magic bytes)
  const file = rawPath(opts.paths.backup, name);
  let extracted = false;
  if (existsSync(zip)) {
    await cleanStaleTemps(opts.paths.backup, { of: basename(file) }); // left by a killed serve; they also hold disk space
    let total: number | undefined; // the entry's size, known once its header is read
    const progress = opts.progress && Progress.start({ log, msg: "Extracting snapshot", fields: { name }, total: () => total, policy: opts.progress });
    try {
      const archive = await openSnapshotArchive(zip);
      await archive.extract("snapshot", name, file, { signal: opts.signal, log, onSize: (n) => (total = n), onBytes: (n) => progress?.add(n) });
    } finally {
      progress?.stop();
    }
    log.info(`Extracted from ${zip}`);
    extracted = true;
  }
  assertExists(file);
  return { file, extracted };
}
