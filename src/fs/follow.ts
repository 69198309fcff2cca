/**
 * A file read back behind the writer that appends to it: as bytes land they go, in order, to a
 * ByteSink (a digest, a check), from the page cache, so that the sink's work runs beside the
 * transfer instead of after it. Both downloads use it: S3's SHA-256 (s3/download.ts) and the
 * peer download's etcd trailer check (tools/etcd-backup/download/peer.ts). It looks for new bytes on a clock
 * tick and when the writer says the file `grown()`; once the writer is done, `finish()` reads the
 * rest. The bytes below the file's size never change (the writer only appends), so the sink sees
 * the file as it ends.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { abortError } from "../retry/policy.ts";
import { systemClock, type Clock } from "../time/clock.ts";
import type { ByteSink } from "./sink.ts";

export interface FollowOptions {
  /** Bytes per read, into one buffer (peak memory against the number of reads). @default 1 MiB */
  chunkBytes?: number;
  /** How often (ms) to look for new bytes between the writer's `grown()`s. @default 5 */
  pollMs?: number;
  /** @default the system clock; tests pass one they advance themselves (test/support/clock.ts). */
  clock?: Clock;
  /** Stops the reading: `finish()` then rejects with E_ABORTED. */
  signal?: AbortSignal;
}

export const DEFAULT_FOLLOW_CHUNK = 1024 * 1024;
export const DEFAULT_FOLLOW_POLL_MS = 5;

/** Reads `path` as it grows into `sink`, from the moment it is made until `finish()` or `stop()`. */
export class FileFollower {
  private readonly fd: number;
  private readonly chunkBytes: number;
  private buf?: Buffer;
  private readBytes = 0;
  private reading?: Promise<void>;
  private again = false;
  private halted = false;
  private closed = false;
  private failure?: unknown;
  private readonly stopTicker: () => void;
  private readonly onAbort = () => this.halt();

  /** Opens `path` for reading (ENOENT and the like throw here, before anything runs). */
  constructor(
    path: string,
    private readonly sink: ByteSink,
    private readonly opts: FollowOptions = {},
  ) {
    this.fd = openSync(path, "r");
    this.chunkBytes = opts.chunkBytes ?? DEFAULT_FOLLOW_CHUNK;
    this.stopTicker = (opts.clock ?? systemClock).every(opts.pollMs ?? DEFAULT_FOLLOW_POLL_MS, () => this.grown());
    opts.signal?.addEventListener("abort", this.onAbort, { once: true });
    if (opts.signal?.aborted) this.halt();
  }

  /** How many bytes the sink has been given. */
  get read(): number {
    return this.readBytes;
  }

  /** The writer appended: read what landed now rather than at the next tick. */
  grown(): void {
    if (this.halted) return;
    if (this.reading) {
      this.again = true; // the running pass may have just seen the end: look once more after it
      return;
    }
    this.reading = this.drain()
      .catch((e) => {
        this.failure ??= e;
        this.halt();
      })
      .finally(() => {
        this.reading = undefined;
        if (this.again) {
          this.again = false;
          this.grown();
        }
      });
  }

  /**
   * The writer has finished: reads the rest, closes the file and resolves with the bytes the sink
   * was given. Rejects with the sink's or the read's error, or E_ABORTED when the signal stopped it.
   */
  async finish(): Promise<number> {
    if (this.closed) throw new Error("FileFollower already finished");
    this.halt();
    await this.settle();
    try {
      if (this.failure !== undefined) throw this.failure;
      if (this.opts.signal?.aborted) throw abortError(this.opts.signal);
      while ((await this.step()) > 0);
      return this.readBytes;
    } finally {
      this.close();
    }
  }

  /** The writer failed: stops reading and closes the file; safe to call more than once. */
  async stop(): Promise<void> {
    this.halt();
    await this.settle();
    this.close();
  }

  private halt(): void {
    this.halted = true;
    this.stopTicker();
    this.opts.signal?.removeEventListener("abort", this.onAbort);
  }

  /** Waits for the pass in flight, including one it chained. */
  private async settle(): Promise<void> {
    while (this.reading) await this.reading;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private async drain(): Promise<void> {
    while (!this.halted && (await this.step()) > 0) {
      await new Promise<void>((resolve) => setImmediate(resolve)); // let the writer's I/O run
    }
  }

  /** Gives the sink what has landed beyond what it has seen (one read at most); returns how much. */
  private async step(): Promise<number> {
    const available = fstatSync(this.fd).size - this.readBytes;
    if (available <= 0) return 0;
    this.buf ??= Buffer.allocUnsafe(this.chunkBytes);
    const n = readSync(this.fd, this.buf, 0, Math.min(this.chunkBytes, available), this.readBytes);
    if (n === 0) return 0; // cannot happen while the file only grows; never spin on it
    await this.sink.write(this.buf.subarray(0, n));
    this.readBytes += n;
    return n;
  }
}
