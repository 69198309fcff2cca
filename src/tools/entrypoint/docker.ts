/**
 * The three facts kubelet needs from Docker, asked of the Engine API over its unix socket (no
 * docker CLI). GET /info without a version prefix: the daemon answers in its own API version, so
 * there is no client/daemon version negotiation to get wrong (the original pinned 1.24 for that).
 */
import { ErrorCode, RkeToolsError, messageOf } from "../../errors.ts";
import { silentLogger, type Logger } from "../../log/logger.ts";
import { DEFAULT_RETRY, retry, type RetryPolicy } from "../../retry/policy.ts";
import type { DockerFacts } from "./facts-types.ts";

export interface DockerOptions {
  signal?: AbortSignal;
  retry?: RetryPolicy;
  log?: Logger;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
}

/** Docker may be restarting while RKE starts kubelet: a few tries, one second apart. */
export const DOCKER_RETRY: RetryPolicy = { ...DEFAULT_RETRY, attempts: 5, delayMs: 1000 };

export async function dockerInfo(socket: string, opts: DockerOptions = {}): Promise<DockerFacts> {
  const log = opts.log ?? silentLogger;
  return retry(() => infoOnce(socket, opts), opts.retry ?? DOCKER_RETRY, {
    signal: opts.signal,
    onRetry: (e, attempt, delayMs) => log.warn("Docker Engine API did not answer, retrying", { socket, attempt, delayMs, error: messageOf(e) }),
  });
}

async function infoOnce(socket: string, opts: DockerOptions): Promise<DockerFacts> {
  const signal = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs ?? 10_000), ...(opts.signal ? [opts.signal] : [])]);
  let res: Response;
  try {
    res = await fetch("http://docker/info", { unix: socket, signal });
  } catch (e) {
    throw new RkeToolsError(ErrorCode.Http, `Cannot ask Docker for its info at ${socket}: ${messageOf(e)}`, { cause: e });
  }
  const body = await res.text();
  if (!res.ok) throw new RkeToolsError(ErrorCode.Http, `Cannot ask Docker for its info at ${socket}: HTTP ${res.status} ${body.trim().slice(0, 200)}`);
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(body) as Record<string, unknown>;
  } catch (e) {
    throw new RkeToolsError(ErrorCode.Http, `Cannot ask Docker for its info at ${socket}: the answer is not JSON`, { cause: e });
  }
  return {
    cgroupDriver: typeof info.CgroupDriver === "string" ? info.CgroupDriver : "",
    // Daemons before API 1.40 do not report it; they only ran cgroup v1.
    cgroupVersion: typeof info.CgroupVersion === "string" && info.CgroupVersion !== "" ? info.CgroupVersion : "1",
    rootDir: typeof info.DockerRootDir === "string" ? info.DockerRootDir : "",
  };
}
