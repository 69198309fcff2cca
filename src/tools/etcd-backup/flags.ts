/**
 * Every flag of the original `rke-etcd-backup etcd-backup …`, declared once and shared by the
 * sub-commands that take them (docs/contract.md §o-2). Names, env vars and defaults are the contract.
 */
import { DEFAULT_ARCHIVE_FORMAT } from "../../archive/format.ts";
import { LOG_FORMAT } from "../../log/from-env.ts";
import { ARCHIVE_FORMAT } from "./knobs.ts";
import { Hour, Minute } from "../../time/duration.ts";
import { boolFlag, durationFlag, intFlag, stringFlag } from "../../cli/flag.ts";

export const name = stringFlag("name", "Backup name to take once");
export const endpoints = stringFlag("endpoints", "Etcd endpoints", { default: "127.0.0.1:2379" });
export const debug = boolFlag("debug", "Verbose logging information for debugging purposes", { env: "RANCHER_DEBUG" });
export const logFormat = stringFlag("log-format", "Log line format: text (logrus) or json", { env: LOG_FORMAT.name, default: "text" });
export const cacert = stringFlag("cacert", "Etcd CA client certificate path", { env: "ETCD_CACERT" });
export const cert = stringFlag("cert", "Etcd client certificate path", { env: "ETCD_CERT" });
export const key = stringFlag("key", "Etcd client key path", { env: "ETCD_KEY" });
export const localEndpoint = stringFlag("local-endpoint", "Local backup download endpoint", { env: "LOCAL_ENDPOINT" });

export const s3Backup = boolFlag("s3-backup", "Backup etcd snapshot to your s3 server, set true or false", { env: "S3_BACKUP" });
export const s3Endpoint = stringFlag("s3-endpoint", "Specify s3 endpoint address", { env: "S3_ENDPOINT" });
export const s3AccessKey = stringFlag("s3-accessKey", "Specify s3 access key", { env: "S3_ACCESS_KEY", hideDefault: true });
export const s3SecretKey = stringFlag("s3-secretKey", "Specify s3 secret key", { env: "S3_SECRET_KEY", hideDefault: true });
export const s3BucketName = stringFlag("s3-bucketName", "Specify s3 bucket name", { env: "S3_BUCKET_NAME" });
export const s3Region = stringFlag("s3-region", "Specify s3 bucket region", { env: "S3_BUCKET_REGION" });
export const s3EndpointCa = stringFlag("s3-endpoint-ca", "Specify custom CA bundle to verify s3 endpoint (base64 PEM or file path)", { env: "S3_ENDPOINT_CA", hideDefault: true });
export const s3Folder = stringFlag("s3-folder", "Specify folder for snapshots", { env: "S3_FOLDER" });
// Ours (RKE never passes it): plain HTTP to the S3 endpoint. Without it HTTPS is always used, as by the original.
export const s3PlainHttp = boolFlag("s3-plain-http", "Talk plain HTTP (not HTTPS) to the s3 endpoint; for test and lab setups only");

export const creation = durationFlag("creation", "Create backups after this time interval in minutes", 5n * Minute);
export const retention = durationFlag("retention", "Retain backups within this time interval in hours", 24n * Hour);
export const once = boolFlag("once", "Take backup only once");
// The original registers these with a default of 0 (its constants say 4 and 3, but the flag
// default wins): one attempt unless asked. We keep 0; see docs/etcd-backup.md.
export const backupRetries = intFlag("backup-retries", "Number of times to attempt the backup", 0);
export const s3Retries = intFlag("s3-retries", "Number of times to attempt the upload to s3", 0);
// Ours (RKE never passes it): the archive format of `save` (docs/archive-formats.md).
export const archiveFormat = stringFlag("archive-format", "Archive format: zip (what RKE and Rancher read), tar.gz or tar.zst", {
  env: ARCHIVE_FORMAT.name,
  default: DEFAULT_ARCHIVE_FORMAT,
});
export const cleanup = boolFlag("cleanup", "Clean up local snapshot files only (never touches s3)");

/** S3 flags with their env fallbacks; `delete` takes these without `--s3-backup`'s env. */
export const s3Flags = [s3Endpoint, s3AccessKey, s3SecretKey, s3BucketName, s3Region, s3EndpointCa, s3Folder, s3PlainHttp] as const;

/** The flag set most sub-commands share (the original's `commonFlags`). */
export const commonFlags = [endpoints, debug, logFormat, name, cacert, cert, key, localEndpoint, s3Backup, ...s3Flags] as const;
