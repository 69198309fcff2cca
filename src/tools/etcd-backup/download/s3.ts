/**
 * `download --s3-backup` (docs/contract.md §o-12): fetch `[folder/]<name>` or `[folder/]<name>.zip` (or
 * `.tar.gz`, `.tar.zst`: docs/archive-formats.md) into /backup through the S3 store (which verifies and renames it),
 * then, for an archive, extract `/backup/<name>` beside it;
 * both files stay, as the original leaves them. src/s3 is loaded only here.
 */
import { basename } from "node:path";
import { openSnapshotArchive } from "../../../snapshot/archive.ts";
import { ErrorCode, RkeToolsError, messageOf } from "../../../errors.ts";
import { cleanStaleTemps } from "../../../fs/atomic.ts";
import type { Paths } from "../../../fs/paths.ts";
import type { Logger } from "../../../log/logger.ts";
import type { S3Flags } from "../s3-flags.ts";
import { progressPolicyFrom } from "../progress.ts";
import { rawPath } from "../../../snapshot/layout.ts";

export async function s3Download(
  name: string,
  flags: S3Flags,
  opts: { env: Record<string, string | undefined>; paths: Paths; log: Logger; signal?: AbortSignal },
): Promise<string> {
  const { log, signal, paths } = opts;
  const { s3StoreFromFlags } = await import("../open-stores.ts");
  const store = await s3StoreFromFlags(flags, opts.env, { log, paths });
  const file = await store.download(name, paths.backup, { log, signal, progress: progressPolicyFrom(opts.env) });
  const dest = rawPath(paths.backup, name);
  if (file === dest) return dest; // a legacy uncompressed object
  log.info(`Decompressing etcd snapshot file [${basename(file)}]`);
  await cleanStaleTemps(paths.backup, { of: basename(dest) }); // left by a killed run; they also hold disk space
  try {
    const archive = await openSnapshotArchive(file);
    await archive.extract("snapshot", name, dest, { signal, log }); // zip or tar, by its magic bytes
  } catch (e) {
    if (e instanceof RkeToolsError && e.code === ErrorCode.Aborted) throw e;
    throw new RkeToolsError(e instanceof RkeToolsError ? e.code : ErrorCode.Archive, `Unable to decompress [${file}] to [${dest}]: ${messageOf(e)}`, { cause: e });
  }
  log.info(`Decompressed [${file}] to [${dest}]`);
  return dest;
}
