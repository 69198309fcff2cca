/**
 * One GET against the Kubernetes API with the kubeconfig's client certificate: what kubectl's
 * `get … -o json` does on the wire, without kubectl. The chain and the server name are verified
 * as kubectl does (RKE's apiserver certificate carries IP:127.0.0.1, which its kubeconfig uses).
 */
import { formatDuration, Millisecond } from "../time/duration.ts";
import { ErrorCode, RkeToolsError } from "../errors.ts";
import { fetchErrorMessage } from "../net/fetch-error.ts";
import { abortError, timeoutSignal } from "../retry/policy.ts";
import type { KubeClientConfig } from "./kubeconfig.ts";

/** A failed API call; `retryable` says whether asking again could change the answer. */
export class KubeApiError extends RkeToolsError {
  override readonly name = "KubeApiError";
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    cause?: unknown,
  ) {
    super(ErrorCode.Http, message, { cause });
  }
}

export interface KubeResponse {
  status: number;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
}

export interface KubeGetOptions {
  signal?: AbortSignal;
  timeoutMs: number;
}

export async function kubeGet(cfg: KubeClientConfig, apiPath: string, opts: KubeGetOptions): Promise<KubeResponse> {
  const url = apiUrl(cfg.server, apiPath);
  const signal = timeoutSignal(opts.timeoutMs, opts.signal);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: "GET",
      headers: { Accept: "application/json" },
      signal,
      redirect: "error",
      // Go's proxy-from-environment never proxies loopback; HTTPS_PROXY set for S3 must not catch the local apiserver.
      proxy: isLoopback(cfg.server.hostname) ? false : undefined,
      tls: {
        ca: cfg.ca,
        cert: cfg.cert,
        key: cfg.key,
        serverName: cfg.serverName,
        rejectUnauthorized: !cfg.insecureSkipTlsVerify,
      },
    });
    text = await res.text();
  } catch (e) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    if (signal.aborted) throw new KubeApiError(`GET ${url}: no answer within ${formatDuration(BigInt(opts.timeoutMs) * Millisecond)}`, true, undefined, e);
    throw new KubeApiError(`GET ${url}: ${fetchMessage(e)}`, true, undefined, e);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not the API server talking (a proxy's error page?): name the status and the page's text.
    // A 2xx that is not JSON will not become JSON by asking again (issue 19.18): not retried.
    if (res.ok) throw new KubeApiError(`GET ${url}: HTTP ${res.status} answer is not JSON`, false, res.status);
    json = { message: shortText(text) };
  }
  return { status: res.status, json };
}

/** The server path prefix (if any) joined with the API path. */
export function apiUrl(server: URL, apiPath: string): string {
  const u = new URL(server.href);
  u.pathname = u.pathname.replace(/\/+$/, "") + apiPath;
  u.search = "";
  return u.href;
}

/** The message of a Kubernetes `Status` body (or of a plain-text error body). */
export function statusMessage(json: unknown): string {
  if (typeof json === "object" && json !== null) {
    const m = (json as { message?: unknown }).message;
    if (typeof m === "string" && m !== "") return m;
  }
  return "";
}

/** Bun's fetch errors repeat the URL and add a `verbose: true` hint; the line names the URL already. */
function fetchMessage(e: unknown): string {
  const code = (e as { code?: string }).code;
  const msg = fetchErrorMessage(e).replace(/ fetching "[^"]*"/, "");
  return code && !msg.includes(code) ? `${msg} (${code})` : msg;
}

/** A short text of a non-JSON error body: tags dropped, whitespace collapsed, at most 200 characters. */
function shortText(text: string): string {
  const line = text
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}
