/**
 * An etcd snapshot checks itself: its last 32 bytes are the SHA-256 of everything before them
 * (what `etcdctl snapshot save` writes, and `etcdctl snapshot restore` checks). Streamed: only
 * the last 32 bytes seen are held back from the hash.
 */
import { createHash } from "node:crypto";
import { openRegular } from "../fs/regular.ts";
import type { ByteSink } from "../fs/sink.ts";

export const TRAILER_SIZE = 32;

export interface TrailerResult {
  ok: boolean;
  /** Bytes seen, trailer included. */
  bytes: number;
  /** Hex SHA-256 of the bytes before the trailer. */
  computed: string;
  /** Hex trailer as found ("" when the stream is shorter than one). */
  trailer: string;
}

export class TrailerCheck implements ByteSink {
  private readonly hash = createHash("sha256");
  private tail: Buffer = Buffer.alloc(0);
  private bytes = 0;

  write(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    if (chunk.byteLength >= TRAILER_SIZE) {
      this.hash.update(this.tail);
      this.hash.update(chunk.subarray(0, chunk.byteLength - TRAILER_SIZE));
      this.tail = Buffer.from(chunk.subarray(chunk.byteLength - TRAILER_SIZE)); // a copy: the caller may reuse its buffer
      return;
    }
    const joined = Buffer.concat([this.tail, chunk]);
    const cut = Math.max(0, joined.byteLength - TRAILER_SIZE);
    this.hash.update(joined.subarray(0, cut));
    this.tail = joined.subarray(cut);
  }

  result(): TrailerResult {
    const computed = this.hash.digest("hex");
    const trailer = this.tail.byteLength === TRAILER_SIZE ? this.tail.toString("hex") : "";
    return { ok: trailer !== "" && trailer === computed, bytes: this.bytes, computed, trailer };
  }
}

/** The trailer check of a whole file, read sequentially into one 4 MiB buffer. */
export async function trailerOfFile(path: string, signal?: AbortSignal): Promise<TrailerResult> {
  const check = new TrailerCheck();
  const fh = await openRegular(path);
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, buf.length);
      if (bytesRead === 0) return check.result();
      check.write(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}
