/**
 * Progress lines for long transfers. RKE prints a one-shot container's last log line every second
 * while it waits (docs/contract.md §a.4 "RKE waits"), so a snapshot of several GiB would otherwise
 * show one frozen line for minutes. One info line per interval (10 s) while the work runs, none
 * for work that ends sooner: bytes done, the total and percentage where known, the mean rate.
 */
import { systemClock, type Clock } from "../time/clock.ts";
import type { Fields, Logger } from "./logger.ts";

/** Default interval between two lines: at most and at least every 10 s. */
export const PROGRESS_INTERVAL_MS = 10_000;

/** Time source and ticker; tests drive a fake one instead of waiting on the wall clock. */
export type ProgressClock = Clock;

/** How often to report; the tools build it once from the environment (progressPolicyFrom). */
export interface ProgressPolicy {
  intervalMs: number;
  clock: ProgressClock;
}

export const DEFAULT_PROGRESS: ProgressPolicy = { intervalMs: PROGRESS_INTERVAL_MS, clock: systemClock };

export interface ProgressOptions {
  log: Logger;
  /** What is being done, the line's message before the numbers: "Saving snapshot". */
  msg: string;
  fields?: Fields;
  /** The total in bytes, or a function asked at each line (etcd announces it with its first message). */
  total?: number | (() => number | undefined);
  policy?: Partial<ProgressPolicy>;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** 1536 → "1.5 KiB"; one decimal from KiB on. */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

export class Progress {
  private doneBytes = 0;
  private readonly started: number;
  private readonly cancel: () => void;
  private stopped = false;

  private constructor(
    private readonly opts: ProgressOptions,
    private readonly policy: ProgressPolicy,
  ) {
    this.started = policy.clock.now();
    this.cancel = policy.clock.every(policy.intervalMs, () => this.report());
  }

  /** Starts the ticker; call stop() when the work ends, whichever way. */
  static start(opts: ProgressOptions): Progress {
    return new Progress(opts, { ...DEFAULT_PROGRESS, ...opts.policy });
  }

  get done(): number {
    return this.doneBytes;
  }

  add(bytes: number): void {
    this.doneBytes += bytes;
  }

  /** For sources that know their position rather than their increments (a file's size). */
  set(bytes: number): void {
    this.doneBytes = bytes;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cancel();
  }

  /** Passes `source` through, counting its bytes; stops the ticker when it ends or fails. */
  async *count<T extends { byteLength: number }>(source: AsyncIterable<T>): AsyncGenerator<T> {
    try {
      for await (const chunk of source) {
        this.add(chunk.byteLength);
        yield chunk;
      }
    } finally {
      this.stop();
    }
  }

  /** The line now (the ticker calls it; exposed for tests). */
  report(): void {
    if (this.stopped) return;
    const elapsedS = (this.policy.clock.now() - this.started) / 1000;
    const rate = elapsedS > 0 ? this.doneBytes / elapsedS : 0;
    const t = this.opts.total;
    const total = typeof t === "function" ? t() : t;
    const fields: Fields = { ...this.opts.fields, bytes: this.doneBytes };
    let text = formatBytes(this.doneBytes);
    if (total !== undefined && total > 0) {
      const percent = Math.min(100, Math.floor((this.doneBytes / total) * 100));
      text += ` of ${formatBytes(total)} (${percent}%)`;
      fields.total = total;
      fields.percent = percent;
    }
    fields.rate = `${formatBytes(Math.round(rate))}/s`;
    this.opts.log.info(`${this.opts.msg}: ${text}, ${formatBytes(Math.round(rate))}/s`, fields);
  }
}
