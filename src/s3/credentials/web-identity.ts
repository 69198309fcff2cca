/**
 * Web identity (EKS IRSA and the like): the token in AWS_WEB_IDENTITY_TOKEN_FILE is exchanged for
 * temporary credentials of AWS_ROLE_ARN through STS AssumeRoleWithWebIdentity (an unsigned call).
 * STS endpoint: AWS_ENDPOINT_URL_STS, else the regional STS of AWS_REGION, else the global one.
 */
import { readFileSync } from "node:fs";
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { child, parseXml, text } from "../xml.ts";
import { credFetch } from "./http.ts";
import type { Credentials, Env } from "./types.ts";

export function stsEndpoint(env: Env): string {
  if (env.AWS_ENDPOINT_URL_STS) return env.AWS_ENDPOINT_URL_STS.replace(/\/+$/, "");
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  return region ? `https://sts.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}` : "https://sts.amazonaws.com";
}

export async function fetchWebIdentityCredentials(env: Env, signal?: AbortSignal): Promise<Credentials> {
  const file = env.AWS_WEB_IDENTITY_TOKEN_FILE;
  const role = env.AWS_ROLE_ARN;
  if (!file || !role) throw new RkeToolsError(ErrorCode.S3, "web identity needs AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN");
  let token: string;
  try {
    token = readFileSync(file, "utf8").trim();
  } catch (e) {
    throw new RkeToolsError(ErrorCode.S3, `Cannot read AWS_WEB_IDENTITY_TOKEN_FILE ${file}: ${(e as Error).message}`, { cause: e });
  }
  const form = new URLSearchParams({
    Action: "AssumeRoleWithWebIdentity",
    Version: "2011-06-15",
    RoleArn: role,
    RoleSessionName: env.AWS_ROLE_SESSION_NAME || `rke-tools-${Date.now()}`,
    WebIdentityToken: token,
  });
  const what = "STS AssumeRoleWithWebIdentity";
  const url = stsEndpoint(env) + "/";
  const res = await credFetch(url, what, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/xml" },
    body: form.toString(),
    signal,
    timeoutMs: 15_000,
  });
  const body = await res.text();
  const doc = body.trim().startsWith("<") ? parseXml(body) : {};
  if (!res.ok) {
    const err = child(child(doc, "ErrorResponse"), "Error");
    throw new RkeToolsError(ErrorCode.S3, `${what} failed: HTTP ${res.status} ${text(err, "Code")} ${text(err, "Message")}`.trim());
  }
  const creds = child(child(child(doc, "AssumeRoleWithWebIdentityResponse"), "AssumeRoleWithWebIdentityResult"), "Credentials");
  const accessKeyId = text(creds, "AccessKeyId");
  const secretAccessKey = text(creds, "SecretAccessKey");
  if (!accessKeyId || !secretAccessKey) throw new RkeToolsError(ErrorCode.S3, `${what} returned no credentials`);
  const exp = new Date(text(creds, "Expiration"));
  return { accessKeyId, secretAccessKey, sessionToken: text(creds, "SessionToken") || undefined, expiration: Number.isNaN(exp.getTime()) ? undefined : exp };
}
