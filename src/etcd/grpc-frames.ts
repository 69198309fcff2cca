/**
 * gRPC's length-prefixed messages on an HTTP/2 stream: 1 byte "compressed" flag, 4 bytes
 * big-endian length, then the message. DATA frames (16 KiB) cut etcd's 32 KiB snapshot messages
 * anywhere, so the reader joins pieces in one reused buffer; a message within one frame is passed
 * on without a copy. Either way a message is only valid until the next one is asked for: every
 * consumer copies (hash, zip blocks, tar batches), and a fresh 32 KiB buffer per message made
 * 1 GiB of garbage per GiB of snapshot.
 */
import { GrpcError, GrpcStatus } from "./grpc-status.ts";

const PREFIX = 5;

/** One request message, framed. */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(PREFIX + message.byteLength);
  out[0] = 0;
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, PREFIX);
  return out;
}

/**
 * Splits a stream of DATA payloads into messages; throws on a compressed or oversized one. Each
 * message is valid until the next is asked for.
 */
export async function* readMessages(data: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  const head = Buffer.alloc(PREFIX);
  let headFill = 0;
  let scratch = Buffer.alloc(0); // reused for messages that span pieces
  let body: Buffer | undefined; // the message being assembled (a view of scratch)
  let bodyFill = 0;
  for await (const piece of data) {
    let off = 0;
    while (off < piece.byteLength) {
      if (body === undefined) {
        // A whole message inside this piece: hand out a view, no copy.
        if (headFill === 0 && piece.byteLength - off >= PREFIX) {
          const len = checkPrefix(piece[off]!, readU32(piece, off + 1), maxBytes);
          if (piece.byteLength - off - PREFIX >= len) {
            yield piece.subarray(off + PREFIX, off + PREFIX + len);
            off += PREFIX + len;
            continue;
          }
        }
        const n = Math.min(PREFIX - headFill, piece.byteLength - off);
        head.set(piece.subarray(off, off + n), headFill);
        headFill += n;
        off += n;
        if (headFill < PREFIX) break;
        headFill = 0;
        const len = checkPrefix(head[0]!, head.readUInt32BE(1), maxBytes);
        if (len === 0) {
          yield new Uint8Array(0);
          continue;
        }
        if (scratch.byteLength < len) scratch = Buffer.allocUnsafe(Math.max(len, 64 * 1024));
        body = scratch.subarray(0, len);
        bodyFill = 0;
      }
      const n = Math.min(body.byteLength - bodyFill, piece.byteLength - off);
      body.set(piece.subarray(off, off + n), bodyFill);
      bodyFill += n;
      off += n;
      if (bodyFill === body.byteLength) {
        const done = body;
        body = undefined;
        yield done;
      }
    }
  }
  if (headFill !== 0 || body !== undefined) throw new GrpcError(GrpcStatus.INTERNAL, "stream ended inside a message");
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function checkPrefix(flag: number, len: number, maxBytes: number): number {
  // We never offer an encoding, so a compressed message is a protocol error.
  if (flag !== 0) throw new GrpcError(GrpcStatus.INTERNAL, `unexpected message flag ${flag} (no compression was offered)`);
  if (len > maxBytes) throw new GrpcError(GrpcStatus.RESOURCE_EXHAUSTED, `message of ${len} bytes exceeds the limit of ${maxBytes}`);
  return len;
}
