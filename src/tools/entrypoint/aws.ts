/**
 * The node name AWS expects, for --hostname-override (rancher/rancher#30363, #43175, #46582):
 * EC2 instance metadata with an IMDSv2 session token (PUT, TTL 60 s), then `hostname -f`. An
 * answer over 4 KiB or that is no host name counts as no answer (a 50 MiB one made the component
 * fail to start with E2BIG).
 * No curl: the component's image is not ours to rely on.
 */
import { readFile } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import { ImdsError, openImdsSession } from "../../cloud/ec2-imds.ts";
import type { Logger } from "../../log/logger.ts";
import { isHostName } from "../../net/endpoint.ts";
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

/** Larger than any token (56 bytes) or host name (253) the service gives; a bigger body is not read. */
const MAX_BODY = 4096;

/** GET latest/meta-data/hostname with a session token. `base` is http://169.254.169.254 in production. */
export async function ec2Hostname(base: string, opts: ImdsOptions = {}): Promise<string> {
  return retry(() => hostnameOnce(base, opts), opts.retry ?? IMDS_RETRY, { signal: opts.signal });
}

async function hostnameOnce(base: string, opts: ImdsOptions): Promise<string> {
  const session = await openImdsSession(base, { tokenTtlSeconds: 60, timeoutMs: opts.timeoutMs ?? 2000, maxBody: MAX_BODY, signal: opts.signal, log: opts.log });
  const url = `${base}/latest/meta-data/hostname`;
  const name = (await session.get("/latest/meta-data/hostname")).trim();
  if (name === "") throw new ImdsError("EC2 metadata service returned an empty hostname", url, "answer", false);
  // It becomes --hostname-override on the component's command line (and the node's name): a
  // value that is no host name is refused, and the caller falls back as for no answer.
  if (!isHostName(name)) {
    const shown = `${JSON.stringify(name.slice(0, 80))}${name.length > 80 ? "…" : ""}`;
    throw new ImdsError(`EC2 metadata service returned a hostname that is not a host name: ${shown}`, url, "answer", false);
  }
  return name;
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
