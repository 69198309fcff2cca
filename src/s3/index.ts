/** A plain S3 client configured by an S3Config; it knows no snapshot (src/snapshot/stores/ does). See docs/s3.md. */
export type { S3Config } from "./config.ts";
export { createS3Client, S3Client, type CreateOptions } from "./client.ts";
export { uploadFile, uploadRetryPolicy, type UploadOptions, type UploadResult } from "./upload.ts";
export { downloadObject, type DownloadOptions } from "./download.ts";
export { keysAmong } from "./keys.ts";
export { abortStaleUploads, openUploads, STALE_UPLOAD_AGE_MS, type OpenUpload, type StaleUploadOptions } from "./stale-uploads.ts";
