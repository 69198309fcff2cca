/**
 * The EC2 instance metadata service, for everyone who asks it (the entrypoint's node name, the S3
 * client's IAM credentials): IMDSv2 (PUT a session token, then GET with it), or IMDSv1 without the
 * token when the PUT is refused with 403/404/405, as minio-go and the AWS SDKs fall back. Always
 * direct (a proxy would answer with its own instance's metadata), redirects not followed, every
 * answer bounded. Callers keep their wording by reading ImdsError's fields.
 */
import { ErrorCode, messageOf, RkeToolsError } from "../errors.ts";
import { silentLogger, type Logger } from "../log/logger.ts";
import { abortError, timeoutSignal } from "../retry/policy.ts";

export const EC2_IMDS = "http://169.254.169.254";

export interface ImdsOptions {
  /** X-aws-ec2-metadata-token-ttl-seconds. */
  tokenTtlSeconds: number;
  /** Per request: off EC2 the link-local address may swallow packets. */
  timeoutMs: number;
  /** The largest answer read; a longer one is refused unread. Default 64 KiB. */
  maxBody?: number;
  signal?: AbortSignal;
  /** The token becomes a secret of this logger; the IMDSv1 fallback is a debug line. */
  log?: Logger;
}

/** Why a request failed: `status` is set when the service answered (not 2xx). */
export class ImdsError extends RkeToolsError {
  override readonly name = "ImdsError";
  readonly status?: number;
  constructor(
    message: string,
    readonly url: string,
    readonly reason: "unreachable" | "status" | "answer",
    /** Worth another try: a timeout or a 5xx. */
    readonly transient: boolean,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(ErrorCode.Http, message, { cause: options.cause });
    if (options.status !== undefined) this.status = options.status;
  }
}

export interface ImdsSession {
  version: 1 | 2;
  /** The answer to a GET of `path` (`/latest/meta-data/…`) as text. */
  get(path: string): Promise<string>;
}

/** A session on the service at `base` (http://169.254.169.254 in production). */
export async function openImdsSession(base: string, opts: ImdsOptions): Promise<ImdsSession> {
  const log = opts.log ?? silentLogger;
  let headers: Record<string, string> = {};
  let version: 1 | 2 = 2;
  try {
    const token = (await request(base, "/latest/api/token", { method: "PUT", headers: { "X-aws-ec2-metadata-token-ttl-seconds": String(opts.tokenTtlSeconds) } }, opts)).trim();
    log.addSecret(token);
    headers = { "X-aws-ec2-metadata-token": token };
  } catch (e) {
    // An IMDS that answers but has no token endpoint (IMDSv1 only: 403/404/405) still serves
    // metadata without one; anything else (no answer, 5xx) is not worth an unauthenticated try.
    if (!(e instanceof ImdsError) || e.status === undefined || ![403, 404, 405].includes(e.status)) throw e;
    log.debug("EC2 metadata service has no session tokens, asking without one (IMDSv1)", { status: e.status });
    version = 1;
  }
  return { version, get: (path) => request(base, path, { headers }, opts) };
}

async function request(base: string, path: string, init: RequestInit, opts: ImdsOptions): Promise<string> {
  const url = `${base}${path}`;
  const signal = timeoutSignal(opts.timeoutMs, opts.signal);
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal, redirect: "manual", proxy: false as unknown as string });
  } catch (e) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    throw new ImdsError(`Cannot reach the EC2 metadata service: ${messageOf(e)}`, url, "unreachable", signal.aborted, { cause: e });
  }
  const body = await boundedText(res, url, path, opts.maxBody ?? 64 << 10).catch((e: unknown) => {
    if (e instanceof ImdsError) throw e;
    if (opts.signal?.aborted) throw abortError(opts.signal);
    throw new ImdsError(`Cannot read the EC2 metadata service's answer for ${path}: ${messageOf(e)}`, url, "answer", false, { cause: e });
  });
  if (!res.ok) throw new ImdsError(`EC2 metadata service answered HTTP ${res.status} for ${path}`, url, "status", res.status >= 500, { status: res.status });
  return body;
}

/** The body as text, refusing (and not reading) one longer than `max`. */
async function boundedText(res: Response, url: string, path: string, max: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of res.body ?? []) {
    n += c.byteLength;
    if (n > max) throw new ImdsError(`EC2 metadata service answered ${path} with more than ${max} bytes`, url, "answer", false);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString("utf8");
}
