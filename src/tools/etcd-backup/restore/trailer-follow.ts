/**
 * etcd's SHA-256 trailer (inspect/trailer.ts) checked on a file while a native writer appends to
 * it: reads back behind the writer (from the page cache) as bytes land, so that the check runs
 * beside the transfer instead of after it, like the S3 download's digest (src/s3/sha256.ts).
 */
import { fstatSync, readSync } from "node:fs";
import { TrailerCheck, type TrailerResult } from "../inspect/trailer.ts";

const CHUNK = 1024 * 1024;
const POLL_MS = 5;

export class TrailerFollower {
  private readonly check = new TrailerCheck();
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private done = 0;
  private stopped = false;
  private readonly loop: Promise<void>;

  /** `fd`: the file, open for reading. */
  constructor(private readonly fd: number) {
    this.loop = this.run();
  }

  /** After the writer has finished: reads the rest and gives the verdict. */
  async finish(): Promise<TrailerResult> {
    this.stopped = true;
    await this.loop;
    while (this.step() > 0);
    return this.check.result();
  }

  /** The writer failed: stop reading (the caller closes `fd` afterwards). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.catch(() => {});
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.step() === 0) await Bun.sleep(POLL_MS);
      else await new Promise<void>((resolve) => setImmediate(resolve)); // let the writer's I/O run
    }
  }

  /** Reads what has landed beyond what was checked; returns how much. */
  private step(): number {
    const available = fstatSync(this.fd).size - this.done;
    if (available <= 0) return 0;
    const n = readSync(this.fd, this.buf, 0, Math.min(CHUNK, available), this.done);
    this.check.write(this.buf.subarray(0, n));
    this.done += n;
    return n;
  }
}
