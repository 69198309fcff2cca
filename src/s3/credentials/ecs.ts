/**
 * ECS / EKS Pod Identity container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on
 * http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI, with the optional authorization
 * token from AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE).
 */
import { readFileSync } from "node:fs";
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { credFetch, parseCredentialJson } from "./http.ts";
import type { Credentials, Env } from "./types.ts";

export function ecsUri(env: Env): string | undefined {
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) {
    return "http://169.254.170.2" + env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  }
  return env.AWS_CONTAINER_CREDENTIALS_FULL_URI || undefined;
}

export async function fetchEcsCredentials(env: Env, signal?: AbortSignal): Promise<Credentials> {
  const uri = ecsUri(env);
  if (!uri) throw new RkeToolsError(ErrorCode.S3, "no container credentials endpoint is set");
  const headers: Record<string, string> = {};
  let token = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  if (env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) {
    try {
      token = readFileSync(env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, "utf8").trim();
    } catch (e) {
      throw new RkeToolsError(ErrorCode.S3, `Cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE ${env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  if (token) headers.Authorization = token;
  const what = "container credentials endpoint";
  const res = await credFetch(uri, what, { headers, signal, direct: true });
  if (!res.ok) {
    await res.body?.cancel();
    throw new RkeToolsError(ErrorCode.S3, `${what} answered HTTP ${res.status}`);
  }
  return parseCredentialJson(await res.text(), what);
}
