/**
 * S3 settings from the command line, validated once: one clear line naming the flag when
 * something is wrong. Keys follow the original's base64 rule (base64.ts); no keys means the IAM
 * chain (credentials/chain.ts).
 */
import { ErrorCode, RkeToolsError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { decodeIfBase64 } from "./base64.ts";
import { loadEndpointCa } from "./ca.ts";
import type { Env } from "./credentials/types.ts";

/** The S3 flags as the etcd-backup commands declare them (flags.ts). */
export interface S3Flags {
  "s3-endpoint": string;
  "s3-accessKey": string;
  "s3-secretKey": string;
  "s3-bucketName": string;
  "s3-region": string;
  "s3-endpoint-ca": string;
  "s3-folder": string;
  /** Our addition: talk plain HTTP to the endpoint (never the default; RKE never passes it). */
  "s3-plain-http"?: boolean;
}

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

const DEFAULT_AWS_ENDPOINT = "s3.amazonaws.com";
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;

function badEndpoint(value: string, why: string): RkeToolsError {
  return new RkeToolsError(ErrorCode.InvalidInput, `invalid --s3-endpoint ${JSON.stringify(value)}: ${why}`);
}

export function validateEndpoint(value: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.includes("/")) {
    // minio-go's wording, which the original prints.
    throw badEndpoint(value, "Endpoint url cannot have fully qualified paths. Give host[:port]; HTTPS is always used unless --s3-plain-http is set");
  }
  const m = HOST.exec(value);
  if (!m) throw badEndpoint(value, "expected host[:port]");
  if (m[1] !== undefined && (Number(m[1]) < 1 || Number(m[1]) > 65535)) throw badEndpoint(value, "port out of range");
  return value;
}

export function s3ConfigFromFlags(flags: S3Flags, env: Env, opts: { log?: Logger } = {}): S3Config {
  const rawAccessKey = flags["s3-accessKey"];
  const rawSecretKey = flags["s3-secretKey"];
  opts.log?.addSecret(rawAccessKey, rawSecretKey);
  const accessKey = decodeIfBase64(rawAccessKey);
  const secretKey = decodeIfBase64(rawSecretKey);
  opts.log?.addSecret(accessKey, secretKey);
  const iam = rawAccessKey === "" && rawSecretKey === "";
  if (!iam && (accessKey === "" || secretKey === "")) {
    throw new RkeToolsError(ErrorCode.InvalidInput, `--s3-accessKey and --s3-secretKey must be given together (or neither, for IAM credentials)`);
  }
  const bucket = flags["s3-bucketName"];
  if (bucket === "") throw new RkeToolsError(ErrorCode.InvalidInput, "--s3-bucketName is empty");
  let endpoint = flags["s3-endpoint"];
  if (endpoint === "") {
    if (!iam) throw badEndpoint(endpoint, "empty (only IAM credentials default to " + DEFAULT_AWS_ENDPOINT + ")");
    endpoint = DEFAULT_AWS_ENDPOINT;
  }
  validateEndpoint(endpoint);
  const endpointCa = flags["s3-endpoint-ca"];
  const caCerts = endpointCa === "" ? [] : loadEndpointCa(endpointCa, opts.log);
  return {
    endpoint,
    scheme: flags["s3-plain-http"] ? "http" : "https",
    bucket,
    region: flags["s3-region"],
    folder: flags["s3-folder"],
    accessKey,
    secretKey,
    rawAccessKey,
    rawSecretKey,
    endpointCa,
    caCerts,
    env,
  };
}
