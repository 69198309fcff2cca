/** SHA-256 of files: whole (upload) or following a writer (download). Native hasher; memory does not grow with the file. */
import { fstatSync, readSync } from "node:fs";
import { abortError } from "../retry/policy.ts";

/** SHA-256 of a file, streamed. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) {
    signal?.throwIfAborted();
    hasher.update(chunk);
  }
  return hasher.digest("hex");
}

const FOLLOW_CHUNK = 4 * 1024 * 1024;
const FOLLOW_POLL_MS = 5;

export interface FollowOptions {
  /** Stops the hasher (the download failed); it then rejects with an Aborted error. */
  signal?: AbortSignal;
}

/**
 * SHA-256 of the first `size` bytes of the file open as `fd` while another writer appends them:
 * reads back behind the writer (from the page cache) as bytes land. Hashing then runs beside the
 * transfer instead of in series with every chunk (1 GiB: the hash costs 0.6 s of CPU). The bytes
 * below the file's size never change (the writer only appends), so the digest is that of the file.
 */
export async function sha256Following(fd: number, size: number, opts: FollowOptions = {}): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  const buf = Buffer.allocUnsafe(Math.min(FOLLOW_CHUNK, Math.max(1, size)));
  let hashed = 0;
  while (hashed < size) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const available = Math.min(size, fstatSync(fd).size);
    if (available <= hashed) {
      await Bun.sleep(FOLLOW_POLL_MS);
      continue;
    }
    const n = readSync(fd, buf, 0, Math.min(buf.length, available - hashed), hashed);
    if (n === 0) continue; // cannot happen while the file only grows; never spin on it
    hasher.update(buf.subarray(0, n));
    hashed += n;
    await new Promise<void>((resolve) => setImmediate(resolve)); // let the writer's I/O run
  }
  return hasher.digest("hex");
}

/** Object metadata name (x-amz-meta-sha256) under which uploads record the archive's digest. */
export const SHA256_META = "sha256";
