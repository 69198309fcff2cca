/**
 * A tar.gz or tar.zst snapshot archive rewritten as the zip RKE, Rancher and the RKE1 → RKE2
 * migration read (`/backup/<name>`, `/etc/kubernetes/<name>.rkestate`, the entries' modes kept),
 * streamed entry by entry into a temporary file, verified whole there (`verify`'s checks, the
 * etcd database included), and only then renamed to `<name>.zip`. The tar archive stays.
 */
import { createReadStream, promises as fsp } from "node:fs";
import { readHead } from "../../../archive/format.ts";
import { sameEntryName } from "../../../archive/limits.ts";
import { compressionOf } from "../../../archive/tar-compression.ts";
import { readTar } from "../../../archive/tar-reader.ts";
import { ZipWriter } from "../../../archive/zip-writer.ts";
import { ErrorCode, RkeToolsError, messageOf, names } from "../../../errors.ts";
import { AtomicFile, cleanStaleTemps } from "../../../fs/atomic.ts";
import type { Logger } from "../../../log/logger.ts";
import { chooseEntry, standInWarning, type EntryKind } from "../../../snapshot/entries.ts";
import { archiveFileName, archivePath, entryNames } from "../../../snapshot/layout.ts";
import { formatOfHead } from "../../../snapshot/archive.ts";
import { verifySnapshotFile, type VerifyReport } from "../inspect/verify.ts";

export interface ConvertResult {
  source: string;
  zip: string;
  report: VerifyReport;
}

const TAR_FORMATS = ["tar.zst", "tar.gz"] as const;

export async function convertToZip(backupDir: string, name: string, opts: { signal?: AbortSignal; log?: Logger } = {}): Promise<ConvertResult> {
  const operation = `convert snapshot ${name}`;
  const fail = (code: ErrorCode, why: string, cause?: unknown) => new RkeToolsError(code, `Cannot ${operation}: ${why}`, { cause, operation });
  const zipPath = archivePath(backupDir, name, "zip");
  if (await exists(zipPath)) throw fail(ErrorCode.InvalidInput, `${zipPath} already exists`);
  const candidates = TAR_FORMATS.map((f) => archivePath(backupDir, name, f));
  const sources: string[] = [];
  for (const p of candidates) if (await exists(p)) sources.push(p);
  if (sources.length === 0) throw fail(ErrorCode.NotFound, `neither ${candidates.join(" nor ")} exists`);
  if (sources.length > 1) throw fail(ErrorCode.InvalidInput, `both ${sources.join(" and ")} exist: keep the one to convert`);
  const source = sources[0]!;
  const format = formatOfHead(await readHead(source, 20));
  if (format !== "tar.gz" && format !== "tar.zst") throw fail(ErrorCode.Archive, `${source} is not a tar.gz or tar.zst archive by its bytes (${format ?? "unknown format"})`);

  await cleanStaleTemps(backupDir, { of: archiveFileName(name, "zip") }); // left by a killed run
  const tarNames = entryNames(name, format);
  let file = await AtomicFile.create(zipPath);
  try {
    // One pass for the layout's names (with or without a leading `/` or `./`); a renamed archive,
    // whose entries only the one rule of snapshot/entries.ts finds, takes a second pass.
    const layout = (entry: string): EntryKind | undefined => (sameEntryName(entry, tarNames.snapshot) ? "snapshot" : sameEntryName(entry, tarNames.state) ? "state" : undefined);
    let pass = await copyEntries(source, format, name, file, layout, opts.signal);
    const chosen = KINDS.map((kind) => chooseEntry(pass.names, kind, name, format)?.name);
    if (KINDS.some((kind, i) => chosen[i] !== pass.taken[kind])) {
      await file.abort();
      file = await AtomicFile.create(zipPath);
      pass = await copyEntries(source, format, name, file, (entry) => KINDS[chosen.indexOf(entry)], opts.signal);
    }
    for (const kind of KINDS) {
      const entry = pass.taken[kind];
      if (entry !== undefined && entry !== tarNames[kind]) opts.log?.warn(standInWarning(tarNames[kind], source, entry));
    }
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

interface Pass {
  /** Every entry name of the tar, in order. */
  names: string[];
  /** The tar entry written for each kind. */
  taken: Partial<Record<EntryKind, string>>;
  /** The entries left out. */
  left: string[];
}

/** One pass over the tar: the entries `take` names a kind for go into the zip under the layout's names, modes kept. */
async function copyEntries(
  source: string,
  format: "tar.gz" | "tar.zst",
  name: string,
  file: AtomicFile,
  take: (entry: string) => EntryKind | undefined,
  signal?: AbortSignal,
): Promise<Pass> {
  const zip = new ZipWriter(file);
  const zipNames = entryNames(name, "zip");
  const pass: Pass = { names: [], taken: {}, left: [] };
  await readTar(createReadStream(source, { highWaterMark: 256 * 1024 }), { compression: compressionOf(format), label: source, signal }, async (h, body) => {
    pass.names.push(h.name);
    const kind = take(h.name);
    if (!kind || pass.taken[kind] !== undefined) {
      pass.left.push(h.name);
      return;
    }
    await zip.add(zipNames[kind], h.mode & 0o7777, body);
    pass.taken[kind] = h.name;
  });
  await zip.finish();
  return pass;
}

async function exists(p: string): Promise<boolean> {
  return (await fsp.lstat(p).catch(() => undefined)) !== undefined;
}
