/**
 * The Maintenance/Snapshot stream, verified on the fly. etcd sends the bbolt file and then the
 * SHA-256 of it as a 32-byte trailer; both are passed through unchanged (they are what
 * `etcdctl snapshot save` writes), and the generator throws at the very end — before the consumer
 * can commit anything — when the trailer is missing, short or does not match.
 */
import { createHash } from "node:crypto";
import { type EtcdClient, etcdError } from "./client.ts";
import { grpcMessage } from "./grpc-status.ts";
import { decodeSnapshotResponse, Methods, type SnapshotChunk } from "./messages.ts";

export const SHA256_SIZE = 32;

export interface SnapshotInfo {
  /** Bytes received, trailer included. */
  bytes: number;
  /** Hex SHA-256 of the database (= the trailer). */
  sha256: string;
  /**
   * Bytes etcd announced with its first data message (its `remaining_bytes` counts the database
   * only, so the trailer is added): known before the data, as a tar header needs (measured on
   * etcd 3.4: 32768 + 5554176 + 32 = 5586976 bytes received).
   */
  expectedBytes: number;
}

/** Verifies a stream of snapshot chunks; `info` is filled in once the stream ended well. */
export async function* verifySnapshot(chunks: AsyncIterable<SnapshotChunk>, info?: Partial<SnapshotInfo>): AsyncGenerator<Uint8Array> {
  const hash = createHash("sha256");
  let tail: Uint8Array = new Uint8Array(0); // the last ≤ 32 bytes seen: not hashed until more arrive
  let bytes = 0;
  let last: bigint | undefined;
  for await (const chunk of chunks) {
    last = chunk.remaining;
    const blob = chunk.blob;
    if (blob.byteLength === 0) continue;
    bytes += blob.byteLength;
    if (info && info.expectedBytes === undefined) info.expectedBytes = bytes + Number(chunk.remaining) + SHA256_SIZE;
    if (blob.byteLength >= SHA256_SIZE) {
      if (tail.byteLength) hash.update(tail);
      hash.update(blob.subarray(0, blob.byteLength - SHA256_SIZE));
      tail = new Uint8Array(blob.subarray(blob.byteLength - SHA256_SIZE)); // a copy (Buffer#slice would be a view)
    } else {
      const joined = new Uint8Array(tail.byteLength + blob.byteLength);
      joined.set(tail);
      joined.set(blob, tail.byteLength);
      const cut = Math.max(0, joined.byteLength - SHA256_SIZE);
      if (cut) hash.update(joined.subarray(0, cut));
      tail = joined.slice(cut);
    }
    yield blob;
  }
  if (last === undefined) throw etcdError("etcd sent an empty snapshot stream");
  if (last !== 0n) throw etcdError(`etcd snapshot stream ended early: ${last} bytes missing after ${bytes}`);
  if (tail.byteLength < SHA256_SIZE) throw etcdError(`etcd snapshot is too short to carry its SHA-256 trailer (${bytes} bytes)`);
  const digest = hash.digest();
  if (!digest.equals(tail)) {
    throw etcdError(`etcd snapshot SHA-256 mismatch: trailer ${Buffer.from(tail).toString("hex")}, computed ${digest.toString("hex")}`);
  }
  if (info) {
    info.bytes = bytes;
    info.sha256 = digest.toString("hex");
  }
}

/** The raw chunk stream of one member; grpc errors become "Cannot receive snapshot…" errors. */
export async function* snapshotChunks(client: EtcdClient, opts: { signal?: AbortSignal } = {}): AsyncGenerator<SnapshotChunk> {
  try {
    yield* client.stream(Methods.snapshot, new Uint8Array(0), decodeSnapshotResponse, opts);
  } catch (e) {
    opts.signal?.throwIfAborted();
    throw etcdError(`etcd snapshot stream from ${client.endpoint.text} failed: ${grpcMessage(e)}`, e);
  }
}

/**
 * The verified snapshot of one member as raw bytes (database + trailer). Each chunk is only
 * valid until the next one is asked for (the receive buffer is reused): copy what you keep.
 */
export function snapshot(client: EtcdClient, opts: { signal?: AbortSignal; info?: Partial<SnapshotInfo> } = {}): AsyncGenerator<Uint8Array> {
  return verifySnapshot(snapshotChunks(client, opts), opts.info);
}
