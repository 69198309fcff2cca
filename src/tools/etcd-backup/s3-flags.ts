/**
 * The S3 flags of the etcd-backup commands mapped to an S3Config once, for every command (save,
 * download, extractstatefile, delete, list, verify), validated with one clear line naming the
 * flag. Keys follow the original's base64 rule (s3/base64.ts); no keys means the IAM chain
 * (s3/credentials/chain.ts). The store is built from the config in open-stores.ts; the client is
 * loaded only when a command connects.
 */
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { type EndpointProblem, parseEndpoint } from "../../net/endpoint.ts";
import type { Logger } from "../../log/logger.ts";
import { decodeIfBase64 } from "../../s3/base64.ts";
import { loadEndpointCa } from "../../s3/ca.ts";
import type { S3Config } from "../../s3/config.ts";
import type { Env } from "../../s3/credentials/types.ts";

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

const DEFAULT_AWS_ENDPOINT = "s3.amazonaws.com";

function badEndpoint(value: string, why: string): RkeToolsError {
  return new RkeToolsError(ErrorCode.InvalidInput, `invalid --s3-endpoint ${JSON.stringify(value)}: ${why}`);
}

/** host[:port] (S3Config keeps the text; the port only checked, the default is the scheme's). */
export function validateEndpoint(value: string): string {
  parseEndpoint(value, { defaultPort: 443, names: "dns", zone: false, invalid: (p) => badEndpoint(value, why(p)) });
  return value;
}

function why(p: EndpointProblem): string {
  if (p.kind === "scheme" || (p.kind === "delimiter" && p.char === "/")) {
    // minio-go's wording, which the original prints.
    return "Endpoint url cannot have fully qualified paths. Give host[:port]; HTTPS is always used unless --s3-plain-http is set";
  }
  return p.kind === "port-range" ? "port out of range" : "expected host[:port]";
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
