/**
 * The DATA payloads of an HTTP/2 response as an async iterable that we control: it ends with the
 * stream, throws the stream's error, and throws at once when the signal aborts — also while the
 * stream is still pending on a connection that never completes (Bun then emits neither "close"
 * nor "error" until the socket dies). While `highWater` bytes wait for the consumer the stream is
 * paused, which stops window updates, so etcd waits instead of filling our memory.
 */
import type { ClientHttp2Stream } from "node:http2";

export function readBody(req: ClientHttp2Stream, signal: AbortSignal | undefined, highWater: number): AsyncIterable<Uint8Array> {
  const queue: Uint8Array[] = [];
  let queued = 0;
  let paused = false;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  req.on("data", (piece: Uint8Array) => {
    queue.push(piece);
    queued += piece.byteLength;
    if (!paused && queued >= highWater) {
      paused = true;
      req.pause();
    }
    notify();
  });
  req.on("end", () => {
    ended = true;
    notify();
  });
  req.on("close", () => {
    ended = true;
    notify();
  });
  req.on("error", (e) => {
    failure ??= e;
    notify();
  });
  const onAbort = () => {
    failure ??= signal!.reason;
    notify();
  };
  signal?.addEventListener("abort", onAbort, { once: true });

  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          if (failure !== undefined) throw failure;
          const piece = queue.shift();
          if (piece) {
            queued -= piece.byteLength;
            if (paused && queued <= highWater / 2) {
              paused = false;
              req.resume();
            }
            yield piece;
            continue;
          }
          if (ended) return;
          await new Promise<void>((r) => (wake = r));
        }
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    },
  };
}
