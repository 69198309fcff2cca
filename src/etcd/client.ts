/**
 * A gRPC client for one etcd member: node:http2 over TLS with a client certificate, the chain
 * verified against --cacert and the server certificate against the endpoint's real host (IP SANs
 * included), as etcdctl does. Bun refuses an IP address as TLS server name, so an IP endpoint
 * sends a placeholder SNI name that is never used for verification.
 *
 * Why not @grpc/grpc-js (the first version): under Bun it kept HTTP/2's default 64 KiB window, so
 * etcd waited for a WINDOW_UPDATE every two snapshot messages, and receiving 1.1 GB cost 4.5 s of
 * CPU and 85 MiB; this client asks for a 1 MiB window and receives the same stream with 1.8 s of
 * CPU and ~55 MiB (docs/decisions.md). Messages are encoded by hand (messages.ts): no .proto.
 * The window is 4 MiB: safe because the body is pulled rather than paused and resumed
 * (http2-body.ts), which is what bounds memory for a consumer slower than etcd.
 */
import http2 from "node:http2";
import { isIP } from "node:net";
import { checkServerIdentity } from "node:tls";
import { ErrorCode, messageOf, RkeToolsError } from "../errors.ts";
import type { TlsFiles } from "../tls/pem.ts";
import type { Endpoint } from "./endpoints.ts";
import { frameMessage, readMessages } from "./grpc-frames.ts";
import { readBody } from "./http2-body.ts";
import { decodeGrpcMessage, GrpcError, GrpcStatus } from "./grpc-status.ts";

export { grpcMessage, isGrpcError } from "./grpc-status.ts";

/** SNI name sent instead of an IP address; never used for verification. */
const OVERRIDE_NAME = "etcd.rke-tools.invalid";
/** etcd's own limit for a response is 2 MiB by default; snapshot messages are 32 KiB. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/**
 * Receive window, per stream and for the connection: 128 snapshot messages in flight. With 1 MiB
 * etcd waited for window updates: save --once took 1.10–1.21× etcdctl's time for tar.zst/zip, 0.88–1.12×
 * with 4 MiB (docs/decisions.md); what waits in our memory is bounded by it (http2-body.ts).
 */
export const STREAM_WINDOW = 4 * 1024 * 1024;

type Stream = http2.ClientHttp2Stream;

export class EtcdClient {
  /** Set when the connection failed; every later call fails with it. */
  private failure: GrpcError | undefined;
  private backlog = 0;

  private constructor(
    readonly endpoint: Endpoint,
    private readonly session: http2.ClientHttp2Session,
  ) {
    session.on("error", (e: Error) => (this.failure ??= new GrpcError(GrpcStatus.UNAVAILABLE, e.message, { cause: e })));
    // The connection window must be raised by hand (it stays at 65 535 otherwise). Not above the
    // stream window: Bun also takes this value as its own idea of every new stream's window,
    // without telling etcd, and then sends window updates only once etcd's whole window is used.
    session.on("connect", () => session.setLocalWindowSize(STREAM_WINDOW));
  }

  static connect(endpoint: Endpoint, tls: TlsFiles): EtcdClient {
    const session = http2.connect(`https://${endpoint.target}`, {
      ca: Buffer.from(tls.ca),
      cert: Buffer.from(tls.cert),
      key: Buffer.from(tls.key),
      servername: isIP(endpoint.host) ? OVERRIDE_NAME : endpoint.host,
      checkServerIdentity: (_name: string, cert: Parameters<typeof checkServerIdentity>[1]) => checkServerIdentity(endpoint.host, cert),
      settings: { initialWindowSize: STREAM_WINDOW, enablePush: false },
    });
    return new EtcdClient(endpoint, session);
  }

  /** One unary call; rejects with a GrpcError (status, details). */
  async unary<T>(method: string, request: Uint8Array, decode: (b: Uint8Array) => T, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<T> {
    const deadline = AbortSignal.timeout(opts.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
    let reply: { value: T } | undefined;
    try {
      // Decoded at once: a message is only valid until the next one arrives (grpc-frames.ts).
      for await (const m of this.call(method, request, signal, `${Math.max(1, Math.ceil(opts.timeoutMs))}m`)) reply ??= { value: decode(m) };
    } catch (e) {
      opts.signal?.throwIfAborted();
      if (deadline.aborted) throw new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, "context deadline exceeded", { cause: e });
      throw e;
    }
    if (reply === undefined) throw new GrpcError(GrpcStatus.INTERNAL, `${method} returned no message`);
    return reply.value;
  }

  /**
   * A server stream of decoded messages; HTTP/2 flow control follows the consumer. The bytes a
   * message points into are only valid until the next one is asked for.
   */
  async *stream<T>(method: string, request: Uint8Array, decode: (b: Uint8Array) => T, opts: { signal?: AbortSignal } = {}): AsyncGenerator<T> {
    for await (const m of this.call(method, request, opts.signal)) yield decode(m);
  }

  /** The most bytes etcd had sent ahead of a consumer of this client: about one window at most. */
  get peakBacklog(): number {
    return this.backlog;
  }

  close(): void {
    this.session.destroy();
  }

  /** The raw messages of one call; ends only after an OK status, throws a GrpcError otherwise. */
  private async *call(method: string, request: Uint8Array, signal: AbortSignal | undefined, timeout?: string): AsyncGenerator<Uint8Array> {
    signal?.throwIfAborted();
    if (this.failure) throw this.failure;
    const headers: http2.OutgoingHttpHeaders = { ":method": "POST", ":path": method, "content-type": "application/grpc", te: "trailers" };
    if (timeout) headers["grpc-timeout"] = timeout;
    let req: Stream;
    try {
      req = this.session.request(headers, { endStream: false });
    } catch (e) {
      throw this.failure ?? new GrpcError(GrpcStatus.UNAVAILABLE, messageOf(e), { cause: e });
    }
    const status = callStatus(req);
    const body = readBody(req, signal, (n) => (this.backlog = Math.max(this.backlog, n)));
    try {
      req.end(frameMessage(request));
      for await (const m of readMessages(body, MAX_MESSAGE_BYTES)) {
        const early = status.early(); // a trailers-only error response carries no messages
        if (early) throw early;
        yield m;
      }
      const s = status.final();
      // A connection that died mid-call: its own error says more than "no status".
      if (s.code !== GrpcStatus.OK) throw status.early() ?? this.failure ?? new GrpcError(s.code, s.details);
    } catch (e) {
      signal?.throwIfAborted();
      if (e instanceof GrpcError) throw e;
      throw this.failure ?? status.early() ?? new GrpcError(GrpcStatus.UNAVAILABLE, messageOf(e), { cause: e });
    } finally {
      if (!req.closed) req.close(http2.constants.NGHTTP2_CANCEL); // stops etcd when the consumer gave up early
    }
  }
}

interface CallStatus {
  /** A non-OK status already known (headers of a trailers-only response, or trailers). */
  early(): GrpcError | undefined;
  /** The status once the body ended: from the trailers, else what the HTTP layer tells. */
  final(): { code: number; details: string };
}

function callStatus(req: Stream): CallStatus {
  let code: number | undefined;
  let details = "";
  let httpStatus: number | undefined;
  const take = (h: http2.IncomingHttpHeaders) => {
    const s = h["grpc-status"];
    if (s !== undefined) {
      code = Number(s);
      details = decodeGrpcMessage(h["grpc-message"] as string | undefined);
    }
  };
  req.on("response", (h) => {
    httpStatus = Number(h[":status"]);
    take(h);
  });
  req.on("trailers", take);
  return {
    early: () => (code !== undefined && code !== GrpcStatus.OK ? new GrpcError(code, details) : undefined),
    final: () => {
      if (code !== undefined) return { code, details };
      if (httpStatus !== undefined && httpStatus !== 200) return { code: GrpcStatus.UNAVAILABLE, details: `HTTP status ${httpStatus} from etcd` };
      return { code: GrpcStatus.UNAVAILABLE, details: "the connection closed before the call's gRPC status arrived" };
    },
  };
}

export function etcdError(message: string, cause?: unknown): RkeToolsError {
  return new RkeToolsError(ErrorCode.Etcd, message, { cause });
}
