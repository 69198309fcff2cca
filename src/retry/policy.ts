/**
 * Retry and timeout as a policy object (after ky): documented defaults, abortable delays, and a
 * predicate deciding which errors are worth another attempt. Library functions take `{ retry }`.
 */
import { ErrorCode, RkeToolsError } from "../errors.ts";

export interface RetryPolicy {
  /** Total attempts, the first included (1 = no retry). Default 1. */
  attempts: number;
  /** Delay before the 2nd attempt, in ms. Default 0. */
  delayMs: number;
  /** Multiplier for each further delay (1 = fixed interval, 2 = exponential). Default 1. */
  factor: number;
  /** Upper bound of any one delay, in ms. Default 30 s. */
  maxDelayMs: number;
  /** Random spread of ±jitter × delay (0..1), so that many nodes do not retry in step. Default 0. */
  jitter: number;
  /** Whether an error is worth another attempt. Default: every error except aborts and usage errors. */
  retryOn: (error: unknown, attempt: number) => boolean;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 1,
  delayMs: 0,
  factor: 1,
  maxDelayMs: 30_000,
  jitter: 0,
  retryOn: (e) => !(e instanceof RkeToolsError && (e.code === ErrorCode.Aborted || e.code === ErrorCode.Usage || e.code === ErrorCode.InvalidInput)),
};

export function retryPolicy(p: Partial<RetryPolicy> = {}): RetryPolicy {
  return { ...DEFAULT_RETRY, ...p };
}

/** The delay before attempt `attempt + 1` (attempt counts from 1). */
export function delayFor(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.delayMs * policy.factor ** (attempt - 1));
  if (policy.jitter <= 0) return base;
  return Math.max(0, base * (1 + policy.jitter * (2 * random() - 1)));
}

/** Resolves after `ms`, or rejects with an Aborted error as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal!));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function abortError(signal: AbortSignal): RkeToolsError {
  const reason = signal.reason instanceof Error ? signal.reason.message : "aborted";
  return new RkeToolsError(ErrorCode.Aborted, `Operation aborted: ${reason}`, { cause: signal.reason });
}

export interface RetryOptions {
  signal?: AbortSignal;
  /** Called after a failed attempt that will be retried (for a log line). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** Runs `fn` until it succeeds or the policy gives up; throws the last error. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, opts: RetryOptions = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= policy.attempts || !policy.retryOn(e, attempt) || opts.signal?.aborted) throw e;
      const d = delayFor(policy, attempt);
      opts.onRetry?.(e, attempt, d);
      await sleep(d, opts.signal);
    }
  }
}

/** An AbortSignal that fires after `ms` or when `parent` fires, whichever comes first. */
export function timeoutSignal(ms: number, parent?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(ms);
  return parent ? AbortSignal.any([parent, t]) : t;
}
