/**
 * A stall watchdog for one HTTP transfer: its signal goes to fetch (so that a stall cuts the
 * connection, headers included, and also a native writer already streaming the body), the
 * transfer calls `touch()` whenever data arrives, and the watch aborts when none has for
 * `idleMs`. It also aborts with its parent signal, or when the transfer is cut for a reason of
 * the caller's (`cut`, e.g. a body larger than allowed).
 */
import { abortError } from "../retry/policy.ts";
import { systemClock, type Clock } from "../time/clock.ts";
import { BodyError } from "./body-error.ts";

export interface StallPolicy {
  /** A transfer that delivers no byte for this long (ms) is given up. @default 60_000 */
  idleMs: number;
  /**
   * How often (ms) the transfer is looked at: for stalls, and by bodyToFile for the file's growth
   * (early syncs, progress, the byte limit). 64 MiB (one early sync) arrive in ≈ 250 ms at
   * loopback speed. @default 50
   */
  pollMs: number;
  /** @default the system clock; tests pass one they advance themselves. */
  clock: Clock;
}

export const DEFAULT_STALL_POLICY: StallPolicy = { idleMs: 60_000, pollMs: 50, clock: systemClock };

/** The defaults with `p`'s fields over them (an undefined field keeps its default). */
export function stallPolicy(p: { [K in keyof StallPolicy]?: StallPolicy[K] | undefined } = {}): StallPolicy {
  const set = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_STALL_POLICY, ...set };
}

export class StallWatch {
  private readonly ac = new AbortController();
  /** Aborts on the parent's abort, a stall or a `cut`: give it to fetch. */
  readonly signal: AbortSignal;
  private last: number;
  private readonly stopTicker: () => void;

  constructor(
    readonly policy: StallPolicy,
    private readonly parent?: AbortSignal,
  ) {
    this.signal = parent ? AbortSignal.any([parent, this.ac.signal]) : this.ac.signal;
    this.last = policy.clock.now();
    this.stopTicker = policy.clock.every(policy.pollMs, () => {
      if (policy.clock.now() - this.last >= policy.idleMs) this.cut(new BodyError("stall", `no data for ${policy.idleMs / 1000} s`, { idleMs: policy.idleMs }));
    });
  }

  /** Data arrived. */
  touch(): void {
    this.last = this.policy.clock.now();
  }

  /** Aborts the transfer with `why` (the first reason wins). */
  cut(why: BodyError): void {
    if (this.ac.signal.aborted) return;
    this.ac.abort(why);
    this.stopTicker();
  }

  /** The transfer was given up for want of data. */
  get stalled(): boolean {
    return this.ac.signal.aborted && (this.ac.signal.reason as BodyError).kind === "stall";
  }

  /**
   * Why the transfer stopped, when it was this watch or its parent that stopped it: the parent's
   * abort (E_ABORTED) or the BodyError of a stall or a cut; undefined when neither happened.
   */
  failure(): Error | undefined {
    if (this.parent?.aborted) return abortError(this.parent);
    if (this.ac.signal.aborted) return this.ac.signal.reason as BodyError;
    return undefined;
  }

  stop(): void {
    this.stopTicker();
  }
}
