/**
 * One signed S3 request on Bun's fetch: SigV4 by aws4fetch (payload UNSIGNED over TLS, as the
 * AWS SDKs do for streamed bodies), the endpoint CA on this client's own FetchSession (so it is
 * trusted for S3 traffic only), proxies from HTTP(S)_PROXY / NO_PROXY as Bun's fetch reads them
 * (except for loopback endpoints, which Go's ProxyFromEnvironment — the original's — never proxies),
 * a timeout per request, and failures turned into typed errors.
 */
import { getCACertificates } from "node:tls";
import { AwsV4Signer } from "aws4fetch";
import { ErrorCode, RkeToolsError } from "../errors.ts";
import { fetchFailure, isTlsFailure } from "../net/fetch-error.ts";
import { abortError } from "../retry/policy.ts";
import type { CredentialSource } from "./credentials/types.ts";

export interface RequestSpec {
  method: string;
  url: URL;
  region: string;
  headers?: Record<string, string>;
  body?: RequestInit["body"];
  signal?: AbortSignal;
  /** Whole-request limit in ms (default 60 s). Large transfers pass their own. */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

export class Transport {
  private readonly fetchFn: (url: string | URL, init?: RequestInit) => Promise<Response>;

  constructor(
    private readonly credentials: CredentialSource,
    caCerts: string[],
  ) {
    if (caCerts.length > 0) {
      // In addition to the system and bundled roots; Bun's `tls.ca` replaces them otherwise.
      const session = new Bun.FetchSession({ tls: { ca: [...getCACertificates("default"), ...caCerts] } });
      this.fetchFn = session.fetch as typeof this.fetchFn;
    } else {
      this.fetchFn = fetch;
    }
  }

  async send(spec: RequestSpec): Promise<Response> {
    const creds = await this.credentials.get(spec.signal);
    const signed = await new AwsV4Signer({
      method: spec.method,
      url: spec.url.toString(),
      headers: spec.headers,
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      sessionToken: creds.sessionToken,
      service: "s3",
      region: spec.region || "us-east-1",
    }).sign();
    const timeout = AbortSignal.timeout(spec.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    try {
      return await this.fetchFn(signed.url, {
        method: spec.method,
        headers: signed.headers,
        body: spec.body,
        signal,
        redirect: "manual",
        decompress: false,
        ...(isLoopback(spec.url.hostname) ? { proxy: false } : {}),
      } as RequestInit);
    } catch (e) {
      throw networkError(e, spec, timeout, spec.signal);
    }
  }
}

/** localhost, 127.0.0.0/8 and ::1: never sent through a proxy (Go's httpproxy rule). */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "::1";
}

/** Maps a fetch rejection: aborts stay aborts, TLS failures are not retried, the rest are. */
export function networkError(e: unknown, spec: { method: string; url: URL; timeoutMs?: number }, timeout?: AbortSignal, parent?: AbortSignal): RkeToolsError {
  if (parent?.aborted) return abortError(parent);
  const where = `${spec.method} ${spec.url.host}${spec.url.pathname}`;
  if (timeout?.aborted) {
    return new RkeToolsError(ErrorCode.Http, `${where}: no answer within ${Math.round((spec.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)}s`, { cause: e });
  }
  const f = fetchFailure(e);
  const { code, message } = f;
  if (isTlsFailure(f)) {
    return new RkeToolsError(ErrorCode.Tls, `${where}: TLS: ${code}: ${message}`.replace(/: $/, ""), { cause: e });
  }
  return new RkeToolsError(ErrorCode.Http, `${where}: ${code ? code + ": " : ""}${message}`, { cause: e });
}
