/**
 * IAM credentials from EC2 instance metadata (cloud/ec2-imds.ts: IMDSv2 with a session token, or
 * IMDSv1 when the PUT is refused): the role, then its credentials.
 * Endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254); the standard
 * AWS_EC2_METADATA_DISABLED=true turns it off.
 */
import { EC2_IMDS, ImdsError, openImdsSession } from "../../cloud/ec2-imds.ts";
import { ErrorCode, messageOf, RkeToolsError } from "../../errors.ts";
import { parseCredentialJson } from "./http.ts";
import type { Credentials, Env } from "./types.ts";

const TOKEN_TTL_SECONDS = 21600;
const WHAT = "EC2 instance metadata";

export function imdsEndpoint(env: Env): string {
  return (env.AWS_EC2_METADATA_SERVICE_ENDPOINT || EC2_IMDS).replace(/\/+$/, "");
}

export async function fetchImdsCredentials(env: Env, signal?: AbortSignal): Promise<Credentials & { version: 1 | 2 }> {
  if ((env.AWS_EC2_METADATA_DISABLED ?? "").toLowerCase() === "true") {
    throw new RkeToolsError(ErrorCode.S3, "EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED=true)");
  }
  const base = imdsEndpoint(env);
  const session = await ask(() => openImdsSession(base, { tokenTtlSeconds: TOKEN_TTL_SECONDS, timeoutMs: 5_000, signal }), "refused a session token");
  const roles = `/latest/meta-data/iam/security-credentials/`;
  const role = (await ask(() => session.get(roles), "has no IAM role for this instance")).split("\n")[0]!.trim();
  if (!role) throw new RkeToolsError(ErrorCode.S3, `${WHAT} has no IAM role for this instance`);
  const doc = await ask(() => session.get(`${roles}${encodeURIComponent(role)}`), `gave no credentials for role ${role}`);
  return { ...parseCredentialJson(doc, WHAT), version: session.version };
}

/** The credential chain's wording for the service's failures: "<what> <said>: HTTP n", "<what> at <url> could not be reached: …". */
async function ask<T>(call: () => Promise<T>, said: string): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (!(e instanceof ImdsError)) throw e;
    if (e.reason === "status") throw new RkeToolsError(ErrorCode.S3, `${WHAT} ${said}: HTTP ${e.status}`, { cause: e });
    if (e.reason === "answer") throw new RkeToolsError(ErrorCode.S3, `${WHAT} ${said}: ${e.message}`, { cause: e });
    const why = e.transient ? "timed out" : messageOf(e.cause);
    throw new RkeToolsError(ErrorCode.Http, `${WHAT} at ${e.url} could not be reached: ${why}`, { cause: e });
  }
}
