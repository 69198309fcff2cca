/** The S3 library used by save, download, extractstatefile and delete. See docs/s3.md. */
export type { S3Config } from "./config.ts";
export { createS3Client, S3Client, type CreateOptions } from "./client.ts";
export { uploadSnapshot, uploadRetryPolicy, type UploadOptions, type UploadResult } from "./upload.ts";
export { downloadSnapshot, findSnapshotKey, type DownloadOptions } from "./download.ts";
export { deleteSnapshot, type DeleteOptions } from "./delete.ts";
export { rotateSnapshots, type RotateOptions } from "./retention.ts";
