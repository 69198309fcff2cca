/**
 * Where `save` gets its uploader from the S3 flags. The S3 client is topic `s3`'s; until it is
 * wired in here, `--s3-backup` fails after the local archive is committed, with RKE's phrase so
 * that RKE counts it as an upload failure (spec d-6), and the local zip is kept.
 */
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import type { Logger } from "../../../log/logger.ts";
import type { SnapshotUploader } from "./upload.ts";

export function uploaderFor(flags: { "s3-backup": boolean }, _ctx: { env: Record<string, string | undefined>; log: Logger }): SnapshotUploader | undefined {
  if (!flags["s3-backup"]) return undefined;
  return {
    async upload() {
      throw new RkeToolsError(ErrorCode.S3Upload, "failed to upload etcd snapshot file: S3 upload is not built yet");
    },
  };
}
