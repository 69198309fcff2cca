/**
 * EC2 instance metadata (IMDSv2: PUT a session token, then GET the role and its credentials with
 * it; IMDSv1 without the token when the PUT is refused, as minio-go and the AWS SDKs fall back).
 * Endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254); the standard
 * AWS_EC2_METADATA_DISABLED=true turns it off.
 */
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { credFetch, parseCredentialJson } from "./http.ts";
import type { Credentials, Env } from "./types.ts";

const TOKEN_TTL_SECONDS = "21600";

export function imdsEndpoint(env: Env): string {
  return (env.AWS_EC2_METADATA_SERVICE_ENDPOINT || "http://169.254.169.254").replace(/\/+$/, "");
}

export async function fetchImdsCredentials(env: Env, signal?: AbortSignal): Promise<Credentials & { version: 1 | 2 }> {
  if ((env.AWS_EC2_METADATA_DISABLED ?? "").toLowerCase() === "true") {
    throw new RkeToolsError(ErrorCode.S3, "EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED=true)");
  }
  const base = imdsEndpoint(env);
  const what = "EC2 instance metadata";
  const headers: Record<string, string> = {};
  let version: 1 | 2 = 2;
  const tokenRes = await credFetch(`${base}/latest/api/token`, what, {
    method: "PUT",
    headers: { "X-aws-ec2-metadata-token-ttl-seconds": TOKEN_TTL_SECONDS },
    signal,
    direct: true,
  });
  if (tokenRes.ok) {
    headers["X-aws-ec2-metadata-token"] = (await tokenRes.text()).trim();
  } else if ([403, 404, 405].includes(tokenRes.status)) {
    await tokenRes.body?.cancel();
    version = 1; // IMDSv1 only (or v2 refused): ask without a token
  } else {
    await tokenRes.body?.cancel();
    throw new RkeToolsError(ErrorCode.S3, `${what} refused a session token: HTTP ${tokenRes.status}`);
  }
  const roleRes = await credFetch(`${base}/latest/meta-data/iam/security-credentials/`, what, { headers, signal, direct: true });
  if (!roleRes.ok) {
    await roleRes.body?.cancel();
    throw new RkeToolsError(ErrorCode.S3, `${what} has no IAM role for this instance: HTTP ${roleRes.status}`);
  }
  const role = (await roleRes.text()).split("\n")[0]!.trim();
  if (!role) throw new RkeToolsError(ErrorCode.S3, `${what} has no IAM role for this instance`);
  const credRes = await credFetch(`${base}/latest/meta-data/iam/security-credentials/${encodeURIComponent(role)}`, what, { headers, signal, direct: true });
  if (!credRes.ok) {
    await credRes.body?.cancel();
    throw new RkeToolsError(ErrorCode.S3, `${what} gave no credentials for role ${role}: HTTP ${credRes.status}`);
  }
  return { ...parseCredentialJson(await credRes.text(), what), version };
}
