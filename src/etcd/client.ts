/**
 * A gRPC connection to one etcd member over TLS with a client certificate (@grpc/grpc-js, no
 * .proto files: messages.ts encodes the few we use). Bun refuses an IP address as TLS server
 * name, so the name grpc-js sends is overridden and the server certificate is checked against
 * the endpoint's real host (IP SANs included) by our own checkServerIdentity — the chain is still
 * verified against --cacert, as etcdctl does.
 */
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { isIP } from "node:net";
import { checkServerIdentity } from "node:tls";
import { ErrorCode, RkeToolsError } from "../errors.ts";
import type { TlsFiles } from "../tls/pem.ts";
import type { Endpoint } from "./endpoints.ts";

/** SNI name sent instead of an IP address; never used for verification. */
const OVERRIDE_NAME = "etcd.rke-tools.invalid";

const identity = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export class EtcdClient {
  private constructor(
    readonly endpoint: Endpoint,
    private readonly client: Client,
  ) {}

  static connect(endpoint: Endpoint, tls: TlsFiles): EtcdClient {
    const creds = credentials.createSsl(Buffer.from(tls.ca), Buffer.from(tls.key), Buffer.from(tls.cert), {
      checkServerIdentity: (_name, cert) => checkServerIdentity(endpoint.host, cert),
    });
    const options: Record<string, string | number> = { "grpc.max_receive_message_length": 64 * 1024 * 1024 };
    if (isIP(endpoint.host)) options["grpc.ssl_target_name_override"] = OVERRIDE_NAME;
    return new EtcdClient(endpoint, new Client(endpoint.target, creds, options));
  }

  /** One unary call; rejects with the grpc error (code, details). */
  unary<T>(method: string, request: Uint8Array, decode: (b: Buffer) => T, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<T> {
    return new Promise((resolve, reject) => {
      opts.signal?.throwIfAborted();
      const call = this.client.makeUnaryRequest(method, identity, decode, request, new Metadata(), { deadline: Date.now() + opts.timeoutMs }, (err, value) => {
        opts.signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve(value as T);
      });
      const onAbort = () => call.cancel();
      opts.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** A server stream of decoded messages; flow control follows the consumer (grpc-js reads on demand). */
  async *stream<T>(method: string, request: Uint8Array, decode: (b: Buffer) => T, opts: { signal?: AbortSignal } = {}): AsyncGenerator<T> {
    opts.signal?.throwIfAborted();
    const call = this.client.makeServerStreamRequest(method, identity, decode, request, new Metadata(), {});
    const onAbort = () => call.cancel();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const msg of call) yield msg as T;
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
      call.cancel(); // no-op when finished; stops etcd when the consumer gave up early
    }
  }

  close(): void {
    this.client.close();
  }
}

/** "14 UNAVAILABLE: No connection established…" → the details, for log lines. */
export function grpcMessage(e: unknown): string {
  const se = e as Partial<ServiceError>;
  if (typeof se?.code === "number" && typeof se.details === "string") return se.details || se.message || String(e);
  return e instanceof Error ? e.message : String(e);
}

export function isGrpcError(e: unknown): e is ServiceError {
  return typeof (e as Partial<ServiceError>)?.code === "number" && typeof (e as Partial<ServiceError>).details === "string";
}

export function etcdError(message: string, cause?: unknown): RkeToolsError {
  return new RkeToolsError(ErrorCode.Etcd, message, { cause });
}
