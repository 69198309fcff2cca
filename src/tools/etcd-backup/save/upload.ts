/**
 * The seam for S3 (topic `s3`): called after the local archive is committed. `save --once`
 * uploads and exits 1 on failure with a message containing "failed to upload etcd snapshot file"
 * (docs/contract.md §d-6) while keeping the local zip; rolling mode uploads, then applies the S3 retention.
 */
import type { ArchiveFormat } from "../../../archive/format.ts";
import type { Logger } from "../../../log/logger.ts";

export interface SnapshotUploader {
  /**
   * Uploads the archive of `name` in `format` (`/backup/<name>.zip` for RKE); throws an S3Upload
   * error (RKE's phrase in its message). `sha256` is the archive's digest when the caller has it
   * (computed while writing).
   */
  upload(archivePath: string, name: string, opts: { signal?: AbortSignal; log: Logger; sha256?: string; format: ArchiveFormat }): Promise<void>;
  /** Rolling mode: deletes rolling snapshots in the bucket older than `cutoffMs`. */
  applyRetention?(cutoffMs: number, opts: { signal?: AbortSignal; log: Logger }): Promise<void>;
}
