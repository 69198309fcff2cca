/**
 * save's S3 upload (--s3-backup), called once the local archive is committed: the snapshot, by
 * its name and format, goes to the S3 store built from the flags (src/s3 loaded only then).
 * `save --once` exits 1 on failure, the local archive kept; rolling mode uploads, then applies
 * the S3 retention. Any S3 failure of the upload — the client that cannot be set up included —
 * carries RKE's phrase `failed to upload etcd snapshot file` (docs/contract.md §d-6), so that RKE
 * counts it as an upload failure of a snapshot that exists locally. The original returned
 * `failed to set s3 server: …` for a client failure, which RKE counted as a snapshot failure.
 */
import type { ArchiveFormat } from "../../../archive/format.ts";
import { ErrorCode, RkeToolsError, messageOf } from "../../../errors.ts";
import { pathsFrom } from "../../../fs/paths.ts";
import type { Logger } from "../../../log/logger.ts";
import { archivePath } from "../../../snapshot/layout.ts";
import type { S3Store } from "../../../snapshot/stores/s3.ts";
import type { Duration } from "../../../time/duration.ts";
import { progressPolicyFrom } from "../progress.ts";
import type { S3Flags } from "../s3-flags.ts";

/** A snapshot save has just written to the backup folder. */
export interface SavedSnapshot {
  name: string;
  format: ArchiveFormat;
  /** The archive's digest, computed while writing. */
  sha256?: string;
}

export interface SnapshotUploader {
  /** Uploads the snapshot's archive (`/backup/<name>.zip` for RKE); throws an S3Upload error (RKE's phrase in its message). */
  upload(snapshot: SavedSnapshot, opts: { signal?: AbortSignal; log: Logger }): Promise<void>;
  /** Rolling mode: deletes rolling snapshots in the bucket older than `cutoffMs`. */
  applyRetention(cutoffMs: number, opts: { signal?: AbortSignal; log: Logger }): Promise<void>;
}

type SaveS3Flags = S3Flags & { "s3-backup": boolean; "s3-retries": number; retention: Duration };

export function uploaderFor(flags: SaveS3Flags, ctx: { env: Record<string, string | undefined>; log: Logger }): SnapshotUploader | undefined {
  if (!flags["s3-backup"]) return undefined;
  const progress = progressPolicyFrom(ctx.env);
  const paths = pathsFrom(ctx.env);
  let store: S3Store | undefined; // kept across rolling ticks once its flags check out
  const open = async (log: Logger, signal?: AbortSignal) => {
    if (!store) {
      const { s3StoreFromFlags } = await import("../open-stores.ts");
      store = await s3StoreFromFlags(flags, ctx.env, { log, paths });
    }
    await store.client(signal); // connected once, then kept
    return store;
  };
  return {
    async upload({ name, format, sha256 }, { signal, log }) {
      let s: Awaited<ReturnType<typeof open>>;
      try {
        s = await open(log, signal);
      } catch (e) {
        if (e instanceof RkeToolsError && e.code === ErrorCode.Aborted) throw e;
        throw new RkeToolsError(ErrorCode.S3Upload, `failed to upload etcd snapshot file: ${messageOf(e)}`, { cause: e });
      }
      await s.put(archivePath(paths.backup, name, format), name, format, { log, signal, sha256, progress, retries: flags["s3-retries"] });
    },
    async applyRetention(cutoffMs, { signal, log }) {
      let s: Awaited<ReturnType<typeof open>>;
      try {
        s = await open(log, signal);
      } catch (e) {
        log.warn("Error while trying to configure minio client", { error: messageOf(e) });
        return;
      }
      // Retention stays per store: the original's S3 rule (rolling names, recursive under the folder) is not the folder's.
      await s.rotate(new Date(cutoffMs), { log, signal, retention: flags.retention });
    },
  };
}
