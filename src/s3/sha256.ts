/** SHA-256 of files: whole (upload) or following a writer (download). Native hasher; memory does not grow with the file. */
import { FileFollower } from "../fs/follow.ts";

/** SHA-256 of a file, streamed. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) {
    signal?.throwIfAborted();
    hasher.update(chunk);
  }
  return hasher.digest("hex");
}

/** 4 MiB reads: half as many as 1 MiB ones for the hash's CPU; the download's peak RSS allows it. */
const FOLLOW_CHUNK = 4 * 1024 * 1024;

/** A digest being computed behind a writer; `digest()` once the writer is done, `stop()` if it failed. */
export interface Sha256Following {
  digest(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * SHA-256 of the file at `path` while another writer appends to it: read back behind the writer
 * (fs/follow.ts, from the page cache) as bytes land. Hashing then runs beside the transfer instead
 * of in series with every chunk (1 GiB: the hash costs 0.6 s of CPU).
 */
export function sha256Following(path: string): Sha256Following {
  const hasher = new Bun.CryptoHasher("sha256");
  const follower = new FileFollower(path, { write: (chunk) => void hasher.update(chunk) }, { chunkBytes: FOLLOW_CHUNK });
  return {
    digest: async () => {
      await follower.finish();
      return hasher.digest("hex");
    },
    stop: () => follower.stop(),
  };
}

/** Object metadata name (x-amz-meta-sha256) under which uploads record the archive's digest. */
export const SHA256_META = "sha256";
