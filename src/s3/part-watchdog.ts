/**
 * Stall detection for the parts of one multipart upload, without watching their bodies.
 *
 * Bun's fetch says nothing about how far a request body has gone, and feeding the body from
 * JavaScript to see it move doubled the upload's CPU (docs/s3.md). What the upload does know is how
 * fast its finished parts went: a part still in flight long after its siblings would have finished
 * it (a connection a NAT forgot, a gateway thread that hung) is aborted and sent again, instead of
 * holding the upload until the part's ceiling (up to 34 min for 128 MiB).
 */
import { ErrorCode, RkeToolsError } from "../errors.ts";

export interface StallPolicy {
  /** Never call a part stalled before it has run this long, in ms. Default 60 s. */
  minMs: number;
  /** A part is stalled after `factor` times as long as the slowest finished part needed for its size. Default 4. */
  factor: number;
}

export const DEFAULT_STALL: StallPolicy = { minMs: 60_000, factor: 4 };

export interface WatchedAttempt {
  /** Fires when the watchdog gives up on this attempt. */
  readonly signal: AbortSignal;
  /** Whether the watchdog (not the caller) ended it. */
  readonly stalled: boolean;
  /** The attempt ended; `ok` attempts teach the watchdog how fast parts go. */
  end(ok: boolean): void;
}

interface Running {
  bytes: number;
  started: number;
  ctl: AbortController;
}

export class PartWatchdog {
  /** Slowest rate of a finished part, bytes per ms; undefined until one has finished. */
  private slowest: number | undefined;
  private readonly running = new Set<Running>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly policy: StallPolicy = DEFAULT_STALL,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The time an attempt of `bytes` may run, or undefined while no part has finished. */
  limitFor(bytes: number): number | undefined {
    if (this.slowest === undefined) return undefined;
    return Math.max(this.policy.minMs, (this.policy.factor * bytes) / this.slowest);
  }

  start(bytes: number): WatchedAttempt {
    const run: Running = { bytes, started: this.now(), ctl: new AbortController() };
    this.running.add(run);
    // Checked often enough to act within a quarter of the shortest limit; unref'd: never keeps the process up.
    this.timer ??= setInterval(() => this.check(), Math.min(1000, Math.max(10, this.policy.minMs / 4)));
    (this.timer as { unref?: () => void }).unref?.();
    return {
      signal: run.ctl.signal,
      get stalled() {
        return run.ctl.signal.aborted;
      },
      end: (ok) => {
        if (!this.running.delete(run)) return;
        if (ok && !run.ctl.signal.aborted) {
          const rate = run.bytes / Math.max(1, this.now() - run.started);
          this.slowest = this.slowest === undefined ? rate : Math.min(this.slowest, rate);
        }
        if (this.running.size === 0) this.stop();
      },
    };
  }

  /** Aborts every attempt past its limit; returns how many. */
  check(): number {
    let stalled = 0;
    const t = this.now();
    for (const run of this.running) {
      const limit = this.limitFor(run.bytes);
      if (limit === undefined || t - run.started <= limit || run.ctl.signal.aborted) continue;
      const mbs = ((this.slowest ?? 0) * 1000) / 1e6;
      run.ctl.abort(
        new RkeToolsError(ErrorCode.Http, `stalled: not done after ${Math.round((t - run.started) / 1000)}s while the other parts went at ${mbs.toFixed(1)} MB/s or faster`),
      );
      stalled++;
    }
    return stalled;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
