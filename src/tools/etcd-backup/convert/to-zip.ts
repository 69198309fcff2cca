/**
 * A tar.gz or tar.zst snapshot archive rewritten as the zip RKE, Rancher and the RKE1 → RKE2
 * migration read (`/backup/<name>`, `/etc/kubernetes/<name>.rkestate`, the entries' modes kept),
 * streamed entry by entry into a temporary file, verified whole there (`verify`'s checks, the
 * etcd database included), and only then renamed to `<name>.zip`. The tar archive stays.
 */
import { promises as fsp } from "node:fs";
import { ARCHIVE_FORMATS, type ArchiveFormat } from "../../../archive/format.ts";
import { ErrorCode, RkeToolsError, messageOf, names } from "../../../errors.ts";
import { AtomicFile, cleanStaleTemps } from "../../../fs/atomic.ts";
import type { Logger } from "../../../log/logger.ts";
import { formatOfHead, openSnapshotArchive, readStoredHead, type CopiedEntries, type SnapshotArchive } from "../../../snapshot/archive.ts";
import { standInWarning, type EntryKind } from "../../../snapshot/entries.ts";
import { archiveFileName, archivePath } from "../../../snapshot/layout.ts";
import { verifySnapshotFile, type VerifyReport } from "../inspect/verify.ts";

export interface ConvertResult {
  source: string;
  zip: string;
  report: VerifyReport;
}

/** The format RKE, Rancher and the migration agent read (docs/contract.md §o-5). */
const TARGET: ArchiveFormat = "zip";
/** Every other archive format converts (the message for a missing one names them newest first). */
const SOURCES = ARCHIVE_FORMATS.filter((f) => f !== TARGET);

export async function convertToZip(backupDir: string, name: string, opts: { signal?: AbortSignal; log?: Logger } = {}): Promise<ConvertResult> {
  const operation = `convert snapshot ${name}`;
  const fail = (code: ErrorCode, why: string, cause?: unknown) => new RkeToolsError(code, `Cannot ${operation}: ${why}`, { cause, operation });
  const zipPath = archivePath(backupDir, name, TARGET);
  if (await exists(zipPath)) throw fail(ErrorCode.InvalidInput, `${zipPath} already exists`);
  const candidates = [...SOURCES].reverse().map((f) => archivePath(backupDir, name, f));
  const sources: string[] = [];
  for (const p of candidates) if (await exists(p)) sources.push(p);
  if (sources.length === 0) throw fail(ErrorCode.NotFound, `neither ${candidates.join(" nor ")} exists`);
  if (sources.length > 1) throw fail(ErrorCode.InvalidInput, `both ${sources.join(" and ")} exist: keep the one to convert`);
  const source = sources[0]!;
  const format = formatOfHead(await readStoredHead(source));
  const from = SOURCES.find((f) => f === format);
  if (!from) throw fail(ErrorCode.Archive, `${source} is not a ${SOURCES.join(" or ")} archive by its bytes (${format ?? "unknown format"})`);

  await cleanStaleTemps(backupDir, { of: archiveFileName(name, TARGET) }); // left by a killed run
  const archive = await openSnapshotArchive(source, from);
  const choices = KINDS.map((kind) => archive.entryOf(kind, name));
  let file = await AtomicFile.create(zipPath);
  try {
    // One pass for the layout's names (with or without a leading `/` or `./`); a renamed archive,
    // whose entries only the one rule of snapshot/entries.ts finds, takes a second pass.
    let pass = await copy(archive, file, name, (entry) => KINDS.find((_, i) => choices[i]?.isWanted(entry)), opts.signal);
    const chosen = choices.map((c) => c?.choose(pass.names)?.name);
    if (KINDS.some((kind, i) => chosen[i] !== pass.taken[kind])) {
      await file.abort();
      file = await AtomicFile.create(zipPath);
      pass = await copy(archive, file, name, (entry) => KINDS[chosen.indexOf(entry)], opts.signal);
    }
    KINDS.forEach((kind, i) => {
      const [entry, wanted] = [pass.taken[kind], choices[i]?.wanted];
      if (entry !== undefined && wanted !== undefined && entry !== wanted) opts.log?.warn(standInWarning(wanted, source, entry));
    });
    for (const entry of pass.left) opts.log?.warn("Leaving out an entry the snapshot layout has no place for", { entry });
    const report = await verifySnapshotFile(file.tempPath, name, { signal: opts.signal });
    // A warning on the state file stays a warning; an unchecked database does not pass.
    const failed = report.checks.find((c) => c.status === "fail" || (c.check === "etcd database" && c.status !== "ok"));
    if (failed) throw fail(ErrorCode.Archive, `the zip written from ${source} does not verify: ${failed.check}: ${failed.detail}`);
    await file.commit();
    return { source, zip: zipPath, report: { ...report, target: zipPath } };
  } catch (e) {
    await file.abort();
    if (names(e, operation)) throw e;
    throw fail(e instanceof RkeToolsError ? e.code : ErrorCode.Io, messageOf(e), e);
  }
}

const KINDS: readonly EntryKind[] = ["snapshot", "state"];

/** One pass over the source: the entries `take` names a kind for go into the zip under the layout's names, modes kept. */
const copy = (archive: SnapshotArchive, file: AtomicFile, name: string, take: (entry: string) => EntryKind | undefined, signal?: AbortSignal): Promise<CopiedEntries> =>
  archive.copyEntries(file, TARGET, name, take, { signal });

async function exists(p: string): Promise<boolean> {
  return (await fsp.lstat(p).catch(() => undefined)) !== undefined;
}
