/**
 * The cri-dockerd branch: cri-dockerd and kubelet run side by side, and the container must end
 * when either dies so that Docker's restart policy restarts the pair (rancher/rke-tools#165) —
 * bash's `wait -n`. Unlike the bash original (PID 1 ignores SIGTERM without a trap), signals are
 * forwarded to both children.
 */
import { existsSync } from "node:fs";
import { constants } from "node:os";
import type { Subprocess } from "bun";
import { ErrorCode, RkeToolsError, messageOf } from "../../errors.ts";
import type { Logger } from "../../log/logger.ts";
import { sleep } from "../../retry/policy.ts";
import { findExecutable } from "../../sys/index.ts";
import type { Env } from "./paths.ts";

export interface SuperviseOptions {
  env: Env;
  log: Logger;
  signal: AbortSignal;
  /** Test-only root prefix for the ready socket. */
  root?: string;
  /** kubelet starts once this unix socket exists, or after readyTimeoutMs. */
  readySocket?: string;
  readyTimeoutMs: number;
  /** How long the survivor gets after SIGTERM before SIGKILL. Default 10 s (Docker's own grace). */
  stopGraceMs?: number;
}

const FORWARDED = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;

/** Starts both, returns the exit status of the first to end (128+N for a signal, as bash). */
export async function supervise(first: string[], second: string[], opts: SuperviseOptions): Promise<number> {
  const children: Subprocess[] = [];
  const forward = (sig: NodeJS.Signals) => {
    for (const c of children) if (c.exitCode === null) c.kill(sig);
  };
  const handlers = FORWARDED.map((sig) => [sig, () => forward(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  try {
    const a = start(first, opts);
    children.push(a);
    opts.log.info(`started ${first.join(" ")}`, { pid: a.pid });
    const exitedEarly = await waitReady(a, opts);
    if (exitedEarly !== undefined) {
      opts.log.warn(`${first[0]} ended before ${second[0]} started`, { status: exitedEarly });
      return exitedEarly;
    }
    const b = start(second, opts);
    children.push(b);
    opts.log.info(`started ${second.join(" ")}`, { pid: b.pid });
    const winner = await Promise.race(children.map((c, i) => c.exited.then(() => i)));
    const status = statusOf(children[winner]!);
    const loser = children[1 - winner]!;
    opts.log.info(`${(winner === 0 ? first : second)[0]} ended, stopping ${(winner === 0 ? second : first)[0]}`, { status });
    await stop(loser, opts.stopGraceMs ?? 10_000);
    return status;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

function start(argv: string[], opts: SuperviseOptions): Subprocess {
  const [file, ...rest] = argv;
  try {
    const path = findExecutable(file!, opts.env.PATH);
    return Bun.spawn([path, ...rest], { argv0: file, env: opts.env as Record<string, string>, stdin: "ignore", stdout: "inherit", stderr: "inherit" });
  } catch (e) {
    throw new RkeToolsError(ErrorCode.Exec, `Cannot start ${file}: ${messageOf(e)}`, { cause: e });
  }
}

/**
 * The original slept 10 s for cri-dockerd to come up. Its socket appearing is the real signal;
 * the 10 s stay as the upper bound. Returns the status if the child ended meanwhile.
 */
async function waitReady(child: Subprocess, opts: SuperviseOptions): Promise<number | undefined> {
  const socket = opts.readySocket ? (opts.root ?? "") + opts.readySocket : undefined;
  const deadline = performance.now() + opts.readyTimeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return statusOf(child);
    if (socket && existsSync(socket)) return undefined;
    const ended = await Promise.race([child.exited.then(() => true), sleep(100, opts.signal).then(() => false)]).catch(() => false);
    if (ended || opts.signal.aborted) {
      await child.exited;
      return statusOf(child);
    }
  }
  opts.log.info(`${opts.readySocket ?? "the runtime socket"} did not appear within ${opts.readyTimeoutMs / 1000}s, starting anyway`);
  return undefined;
}

async function stop(child: Subprocess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await child.exited;
  clearTimeout(timer);
}

function statusOf(child: Subprocess): number {
  if (child.signalCode) return 128 + (constants.signals[child.signalCode as keyof typeof constants.signals] ?? 0);
  return child.exitCode ?? 1;
}
