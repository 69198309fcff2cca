/**
 * Small HTTP helper for the credential endpoints (instance metadata, container agent, STS): a
 * bounded timeout, abortable, and errors that name the endpoint without echoing any token.
 */
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { abortError, timeoutSignal } from "../../retry/policy.ts";

export interface CredHttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Link-local metadata endpoints are never reached through a proxy. */
  direct?: boolean;
}

export async function credFetch(url: string, what: string, opts: CredHttpOptions = {}): Promise<Response> {
  const signal = timeoutSignal(opts.timeoutMs ?? 5_000, opts.signal);
  try {
    return await fetch(url, {
      method: opts.method ?? "GET",
      headers: opts.headers,
      body: opts.body,
      signal,
      redirect: "manual",
      ...(opts.direct ? { proxy: false as unknown as string } : {}),
    });
  } catch (e) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const why = signal.aborted ? "timed out" : (e as Error).message;
    throw new RkeToolsError(ErrorCode.Http, `${what} at ${url} could not be reached: ${why}`, { cause: e });
  }
}

/** Parses the JSON credential documents of IMDS and the ECS agent. */
export function parseCredentialJson(body: string, what: string): { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date } {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body) as Record<string, unknown>;
  } catch (e) {
    throw new RkeToolsError(ErrorCode.S3, `${what} returned credentials that are not JSON`, { cause: e });
  }
  if (doc.Code !== undefined && doc.Code !== "Success") throw new RkeToolsError(ErrorCode.S3, `${what} returned code ${String(doc.Code)}`);
  const accessKeyId = doc.AccessKeyId;
  const secretAccessKey = doc.SecretAccessKey;
  if (typeof accessKeyId !== "string" || typeof secretAccessKey !== "string" || !accessKeyId || !secretAccessKey) {
    throw new RkeToolsError(ErrorCode.S3, `${what} returned no AccessKeyId/SecretAccessKey`);
  }
  const token = doc.Token ?? doc.SessionToken;
  const exp = typeof doc.Expiration === "string" ? new Date(doc.Expiration) : undefined;
  return {
    accessKeyId,
    secretAccessKey,
    sessionToken: typeof token === "string" && token !== "" ? token : undefined,
    expiration: exp && !Number.isNaN(exp.getTime()) ? exp : undefined,
  };
}
