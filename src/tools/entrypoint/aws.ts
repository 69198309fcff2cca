/**
 * The node name AWS expects, for --hostname-override (rancher/rancher#30363, #43175, #46582):
 * EC2 instance metadata with an IMDSv2 session token (PUT, TTL 60 s), then `hostname -f`. An
 * answer over 4 KiB or that is no host name counts as no answer (a 50 MiB one made the component
 * fail to start with E2BIG).
 * No curl: the component's image is not ours to rely on.
 */
import { readFile } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import { ErrorCode, RkeToolsError, messageOf } from "../../errors.ts";
import { silentLogger, type Logger } from "../../log/logger.ts";
import { DEFAULT_RETRY, retry, type RetryPolicy } from "../../retry/policy.ts";

export interface ImdsOptions {
  signal?: AbortSignal;
  retry?: RetryPolicy;
  log?: Logger;
  /** Per request. Default 2 s: off EC2 the link-local address may swallow packets. */
  timeoutMs?: number;
}

/** Transient failures (5xx, timeouts) get two more tries; a host that is not on EC2 fails fast. */
export const IMDS_RETRY: RetryPolicy = {
  ...DEFAULT_RETRY,
  attempts: 3,
  delayMs: 250,
  factor: 2,
  retryOn: (e) => e instanceof ImdsError && e.transient,
};

class ImdsError extends RkeToolsError {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status?: number,
  ) {
    super(ErrorCode.Http, message);
  }
}

/** GET latest/meta-data/hostname with a session token. `base` is http://169.254.169.254 in production. */
export async function ec2Hostname(base: string, opts: ImdsOptions = {}): Promise<string> {
  const log = opts.log ?? silentLogger;
  return retry(() => hostnameOnce(base, opts, log), opts.retry ?? IMDS_RETRY, { signal: opts.signal });
}

async function hostnameOnce(base: string, opts: ImdsOptions, log: Logger): Promise<string> {
  let headers: Record<string, string> = {};
  try {
    const token = await call(`${base}/latest/api/token`, { method: "PUT", headers: { "X-aws-ec2-metadata-token-ttl-seconds": "60" } }, opts);
    log.addSecret(token);
    headers = { "X-aws-ec2-metadata-token": token };
  } catch (e) {
    // An IMDS that answers but has no token endpoint (IMDSv1 only: 403/404/405) still serves
    // metadata without one; anything else (no answer, 5xx) is not worth an unauthenticated try.
    if (!(e instanceof ImdsError) || e.status === undefined || ![403, 404, 405].includes(e.status)) throw e;
    log.debug("EC2 metadata service has no session tokens, asking without one (IMDSv1)", { status: e.status });
  }
  const name = (await call(`${base}/latest/meta-data/hostname`, { headers }, opts)).trim();
  if (name === "") throw new ImdsError("EC2 metadata service returned an empty hostname", false);
  // It becomes --hostname-override on the component's command line (and the node's name): a
  // value that is no host name is refused, and the caller falls back as for no answer.
  if (!isHostName(name))
    throw new ImdsError(`EC2 metadata service returned a hostname that is not a host name: ${JSON.stringify(name.slice(0, 80))}${name.length > 80 ? "…" : ""}`, false);
  return name;
}

/** RFC 1123: dot-separated labels of letters, digits and inner hyphens, 1–63 each, 253 in all. */
export function isHostName(s: string): boolean {
  return s.length <= 253 && s.split(".").every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/** Larger than any token (56 bytes) or host name (253) the service gives; a bigger body is not read. */
const MAX_BODY = 4096;

/** The body as text, refusing (and not reading) one longer than MAX_BODY. */
async function boundedText(res: Response, path: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of res.body ?? []) {
    n += c.byteLength;
    if (n > MAX_BODY) throw new ImdsError(`EC2 metadata service answered ${path} with more than ${MAX_BODY} bytes`, false);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function call(url: string, init: RequestInit, opts: ImdsOptions): Promise<string> {
  const signal = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs ?? 2000), ...(opts.signal ? [opts.signal] : [])]);
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal, redirect: "error" });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    const timedOut = e instanceof Error && e.name === "TimeoutError";
    throw new ImdsError(`Cannot reach the EC2 metadata service: ${messageOf(e)}`, timedOut);
  }
  const path = new URL(url).pathname;
  const body = await boundedText(res, path).catch((e: unknown) => {
    if (e instanceof ImdsError) throw e;
    throw new ImdsError(`Cannot read the EC2 metadata service's answer for ${path}: ${messageOf(e)}`, false);
  });
  if (!res.ok) throw new ImdsError(`EC2 metadata service answered HTTP ${res.status} for ${path}`, res.status >= 500, res.status);
  return body;
}

/**
 * What `hostname -f` prints, without the program: the kernel's host name, made canonical by the
 * first name of the /etc/hosts line that lists it (glibc's files backend does the same).
 */
export async function fqdnHostname(hostsFile = "/etc/hosts", nodename = osHostname()): Promise<string> {
  let text = "";
  try {
    text = await readFile(hostsFile, "utf8");
  } catch {
    return nodename;
  }
  for (const raw of text.split("\n")) {
    const names = raw.replace(/#.*/, "").trim().split(/\s+/).slice(1);
    if (names.includes(nodename)) return names[0]!;
  }
  return nodename;
}
