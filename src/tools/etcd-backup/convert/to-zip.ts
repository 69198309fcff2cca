/**
 * A tar.gz or tar.zst snapshot archive rewritten as the zip RKE, Rancher and the RKE1 → RKE2
 * migration read (`/backup/<name>`, `/etc/kubernetes/<name>.rkestate`, the entries' modes kept),
 * streamed entry by entry into a temporary file, verified whole there (`verify`'s checks, the
 * etcd database included), and only then renamed to `<name>.zip`. The tar archive stays.
 */
import { createReadStream, promises as fsp } from "node:fs";
import { join } from "node:path";
import { readHead } from "../../../archive/format.ts";
import { sameEntryName } from "../../../archive/limits.ts";
import { compressionOf } from "../../../archive/tar-compression.ts";
import { readTar } from "../../../archive/tar-reader.ts";
import { ZipWriter } from "../../../archive/zip-writer.ts";
import { ErrorCode, RkeToolsError, messageOf } from "../../../errors.ts";
import { AtomicFile, cleanStaleTemps } from "../../../fs/atomic.ts";
import type { Logger } from "../../../log/logger.ts";
import { archiveFileName, archivePath, entryNames } from "../../../snapshot/layout.ts";
import { formatOfHead, verifySnapshotFile, type VerifyReport } from "../inspect/verify.ts";

export interface ConvertResult {
  source: string;
  zip: string;
  report: VerifyReport;
}

const TAR_FORMATS = ["tar.zst", "tar.gz"] as const;

export async function convertToZip(backupDir: string, name: string, opts: { signal?: AbortSignal; log?: Logger } = {}): Promise<ConvertResult> {
  const fail = (code: ErrorCode, why: string, cause?: unknown) => new RkeToolsError(code, `Cannot convert snapshot ${name}: ${why}`, { cause });
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
  const file = await AtomicFile.create(zipPath);
  try {
    const zip = new ZipWriter(file);
    const tarNames = entryNames(name, format);
    const zipNames = entryNames(name, "zip");
    const written: string[] = [];
    await readTar(createReadStream(source, { highWaterMark: 256 * 1024 }), { compression: compressionOf(format), label: source, signal: opts.signal }, async (h, body) => {
      // Our layout's names, whatever the tar writer did with the leading slash.
      const target = sameEntryName(h.name, tarNames.snapshot) ? zipNames.snapshot : sameEntryName(h.name, tarNames.state) ? zipNames.state : undefined;
      if (!target || written.includes(target)) {
        opts.log?.warn("Leaving out an entry the snapshot layout has no place for", { entry: h.name });
        return;
      }
      await zip.add(target, h.mode & 0o7777, body);
      written.push(target);
    });
    await zip.finish();
    const report = await verifySnapshotFile(file.tempPath, name, { signal: opts.signal });
    // A warning on the state file stays a warning; an unchecked database does not pass.
    const failed = report.checks.find((c) => c.status === "fail" || (c.check === "etcd database" && c.status !== "ok"));
    if (failed) throw fail(ErrorCode.Archive, `the zip written from ${source} does not verify: ${failed.check}: ${failed.detail}`);
    await file.commit();
    return { source, zip: zipPath, report: { ...report, target: zipPath } };
  } catch (e) {
    await file.abort();
    if (e instanceof RkeToolsError && e.message.startsWith(`Cannot convert snapshot ${name}:`)) throw e;
    throw fail(e instanceof RkeToolsError ? e.code : ErrorCode.Io, messageOf(e), e);
  }
}

async function exists(p: string): Promise<boolean> {
  return (await fsp.lstat(p).catch(() => undefined)) !== undefined;
}
