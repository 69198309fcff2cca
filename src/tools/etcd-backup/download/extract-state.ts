/**
 * extractstatefile (docs/contract.md §o-10): the entry `/etc/kubernetes/<name>.rkestate` of
 * `/backup/<name>.zip` to `/tmp/cluster.rkestate`, 0600, atomically (the original truncated it in
 * place). Errors keep the original's text: `Unable to extract file [S] from file [Z] to
 * destination [D]: <why>`.
 */
import { basename, dirname } from "node:path";
import { openSnapshotArchive } from "../../../snapshot/archive.ts";
import { MAX_STATE_BYTES } from "../../../archive/limits.ts";
import { ErrorCode, RkeToolsError, isRkeToolsError, messageOf } from "../../../errors.ts";
import { cleanStaleTemps } from "../../../fs/atomic.ts";
import { assertExists } from "../../../fs/exists.ts";
import type { Paths } from "../../../fs/paths.ts";
import { silentLogger, type Logger } from "../../../log/logger.ts";
import { entryNamesIn, existingArchivePath, extractedStatePath } from "../../../snapshot/layout.ts";

export interface ExtractStateOptions {
  paths: Paths;
  signal?: AbortSignal;
  log?: Logger;
}

export interface ExtractedState {
  entry: string;
  zip: string;
  dest: string;
}

export async function extractStateFile(name: string, opts: ExtractStateOptions): Promise<ExtractedState> {
  const zip = existingArchivePath(opts.paths.backup, name); // `<name>.zip`, else a tar format's archive
  const entry = entryNamesIn(zip, name).state;
  const dest = extractedStatePath(opts.paths.tmp);
  assertExists(zip); // the original stats the archive first
  await cleanStaleTemps(dirname(dest), { of: basename(dest) }); // left by a killed run
  try {
    const archive = await openSnapshotArchive(zip);
    await archive.extract("state", name, dest, { signal: opts.signal, log: opts.log ?? silentLogger, maxBytes: MAX_STATE_BYTES });
  } catch (e) {
    if (isRkeToolsError(e, ErrorCode.Aborted)) throw e;
    const code = isRkeToolsError(e) ? e.code : ErrorCode.Io;
    throw new RkeToolsError(code, `Unable to extract file [${entry}] from file [${zip}] to destination [${dest}]: ${messageOf(e)}`, { cause: e });
  }
  return { entry, zip, dest };
}
