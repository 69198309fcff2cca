/**
 * Where `save` gets its uploader from the S3 flags (src/s3, loaded only when --s3-backup is set).
 * Any S3 failure of the upload — the client that cannot be set up included — carries RKE's phrase
 * `failed to upload etcd snapshot file` (docs/contract.md §d-6), so that RKE counts it as an upload failure of
 * a snapshot that exists locally; the local zip is never touched. The original returned
 * `failed to set s3 server: …` for a client failure, which RKE counted as a snapshot failure.
 */
import { contentTypeOf } from "../../../archive/format.ts";
import type { Duration } from "../../../time/duration.ts";
import { ErrorCode, RkeToolsError, messageOf } from "../../../errors.ts";
import type { Logger } from "../../../log/logger.ts";
import type { S3Client } from "../../../s3/index.ts";
import type { S3Flags } from "../s3-flags.ts";
import { archiveFileName, s3Key } from "../../../snapshot/layout.ts";
import type { SnapshotUploader } from "./upload.ts";
import { progressPolicyFrom } from "../progress.ts";

type SaveS3Flags = S3Flags & { "s3-backup": boolean; "s3-retries": number; retention: Duration };

export function uploaderFor(flags: SaveS3Flags, ctx: { env: Record<string, string | undefined>; log: Logger }): SnapshotUploader | undefined {
  if (!flags["s3-backup"]) return undefined;
  const progress = progressPolicyFrom(ctx.env);
  let client: S3Client | undefined; // kept across rolling ticks once it works
  const connect = async (log: Logger, signal?: AbortSignal) => {
    const [s3, { connectS3, s3ConfigFromFlags }] = await Promise.all([import("../../../s3/index.ts"), import("../s3-flags.ts")]);
    client ??= await connectS3(s3ConfigFromFlags(flags, ctx.env, { log }), { log, signal });
    return { s3, client };
  };
  return {
    async upload(archivePath, name, { signal, log, sha256, format }) {
      let c: Awaited<ReturnType<typeof connect>>;
      try {
        c = await connect(log, signal);
      } catch (e) {
        if (e instanceof RkeToolsError && e.code === ErrorCode.Aborted) throw e;
        throw new RkeToolsError(ErrorCode.S3Upload, `failed to upload etcd snapshot file: ${messageOf(e)}`, { cause: e });
      }
      const key = s3Key(c.client.config.folder, archiveFileName(name, format));
      await c.s3.uploadSnapshot(c.client, archivePath, key, { log, signal, sha256, progress, name, contentType: contentTypeOf(format), retry: c.s3.uploadRetryPolicy(flags["s3-retries"]) });
    },
    async applyRetention(cutoffMs, { signal, log }) {
      let c: Awaited<ReturnType<typeof connect>>;
      try {
        c = await connect(log, signal);
      } catch (e) {
        log.warn("Error while trying to configure minio client", { error: messageOf(e) });
        return;
      }
      await c.s3.rotateSnapshots(c.client, new Date(cutoffMs), { log, signal, retention: flags.retention });
    },
  };
}
