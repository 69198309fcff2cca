/**
 * An S3 object as the archive face's ArchiveBytes (snapshot/archive.ts): its first bytes, fetched
 * once by the listing, then ranged GETs for a zip's directory, or one GET from where the head
 * ends, streamed and aborted as soon as the reader has seen enough (a tar's headers up to the
 * snapshot's: the state file before it may be hundreds of KiB).
 */
import type { S3Client } from "../../s3/index.ts";
import type { ArchiveBytes } from "../archive.ts";

/** The object's first `bytes` bytes (fewer for a smaller object, none for an empty one). */
export async function headOf(client: S3Client, key: string, bytes: number, signal?: AbortSignal): Promise<Uint8Array> {
  const res = await client.request("GET", key, { signal, headers: { Range: `bytes=0-${bytes - 1}` }, accept: [416] });
  if (res.status === 416) return new Uint8Array(0); // an empty object
  return new Uint8Array(await res.arrayBuffer());
}

export function s3ObjectBytes(client: S3Client, key: string, size: number, head: Uint8Array, signal?: AbortSignal): ArchiveBytes {
  return {
    label: key,
    size,
    async range(start, end) {
      if (end <= head.byteLength) return head.subarray(start, end); // a small object: its first GET had it all
      const res = await client.request("GET", key, { signal, headers: { Range: `bytes=${start}-${end - 1}` } });
      return new Uint8Array(await res.arrayBuffer());
    },
    async *stream() {
      yield head;
      if (head.byteLength >= size) return;
      const stop = new AbortController();
      try {
        const res = await client.request("GET", key, { signal: signal ? AbortSignal.any([signal, stop.signal]) : stop.signal, headers: { Range: `bytes=${head.byteLength}-` } });
        if (!res.body) return;
        for await (const chunk of res.body) yield chunk;
      } finally {
        stop.abort(); // the reader stopped early (or failed): the rest of the object is not fetched
      }
    },
  };
}
