/**
 * What the S3 client needs, as plain values: the client takes this object and knows no command
 * line. The etcd-backup commands map their flags to it once (tools/etcd-backup/s3-flags.ts).
 */
import type { Env } from "./credentials/types.ts";

export interface S3Config {
  /** host[:port] */
  endpoint: string;
  scheme: "https" | "http";
  bucket: string;
  /** "" = discover with GetBucketLocation. */
  region: string;
  /** Used verbatim as the key prefix `<folder>/` (the original does not normalise it). */
  folder: string;
  /** Decoded keys; both empty = IAM. */
  accessKey: string;
  secretKey: string;
  /** As given on the command line (for redaction). */
  rawAccessKey: string;
  rawSecretKey: string;
  /** The --s3-endpoint-ca value as given (logged by the original) and the certificates it holds. */
  endpointCa: string;
  caCerts: string[];
  /** Environment for the IAM chain (AWS_* names). */
  env: Env;
}
