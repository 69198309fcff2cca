/**
 * The gRPC client on node:http2: framing, statuses (trailers and trailers-only), deadlines and
 * aborts, against a gRPC server on loopback (node:http2 with the test PKI, speaking the real wire
 * protocol) and a peer that accepts TCP and never answers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http2 from "node:http2";
import { readFileSync } from "node:fs";
import net from "node:net";
import { EtcdClient } from "../../src/etcd/client.ts";
import { parseEndpoints } from "../../src/etcd/endpoints.ts";
import { frameMessage, readMessages } from "../../src/etcd/grpc-frames.ts";
import { GrpcError, GrpcStatus, grpcMessage } from "../../src/etcd/grpc-status.ts";
import { loadTlsFiles } from "../../src/tls/pem.ts";
import { makePki, type Pki } from "../support/pki.ts";

async function* pieces(...parts: Uint8Array[]) {
  for (const p of parts) yield p;
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of it) out.push(Buffer.from(m).toString());
  return out;
}

describe("gRPC framing", () => {
  const all = Buffer.concat([frameMessage(Buffer.from("first")), frameMessage(new Uint8Array(0)), frameMessage(Buffer.from("a longer third message"))]);

  test("messages come out whole however the DATA frames cut them", async () => {
    for (const cut of [1, 2, 5, 6, 9, 17, all.length]) {
      const parts: Uint8Array[] = [];
      for (let off = 0; off < all.length; off += cut) parts.push(all.subarray(off, off + cut));
      expect(await collect(readMessages(pieces(...parts), 1024))).toEqual(["first", "", "a longer third message"]);
    }
  });

  test("a compressed flag, an oversized message and a cut-off message are errors", async () => {
    const compressed = Buffer.from(frameMessage(Buffer.from("x")));
    compressed[0] = 1;
    const fail = (it: AsyncIterable<Uint8Array>) =>
      collect(it).then(
        () => undefined,
        (e: unknown) => e as GrpcError,
      );
    expect((await fail(readMessages(pieces(compressed), 1024)))?.status).toBe(GrpcStatus.INTERNAL);
    expect((await fail(readMessages(pieces(frameMessage(Buffer.alloc(2000))), 1024)))?.status).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    const cut = await fail(readMessages(pieces(all.subarray(0, all.length - 3)), 1024));
    expect(cut?.message).toContain("stream ended inside a message");
  });
});

describe("calls against a gRPC server on loopback", () => {
  let pki: Pki;
  let server: http2.Http2SecureServer;
  let silent: net.Server;
  let client: EtcdClient;
  let silentClient: EtcdClient;
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    pki = makePki();
    server = http2.createSecureServer({
      key: readFileSync(pki.server.key),
      cert: readFileSync(pki.server.cert),
      ca: readFileSync(pki.ca),
      requestCert: true,
      rejectUnauthorized: true,
    });
    server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      const path = headers[":path"];
      stream.on("error", () => {});
      if (path === "/test.Svc/Echo") {
        const got: Buffer[] = [];
        stream.on("data", (d: Buffer) => got.push(d));
        stream.on("end", () => {
          stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
          stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
          stream.end(Buffer.concat(got)); // the request frame, echoed back as the reply
        });
      } else if (path === "/test.Svc/Denied") {
        // Trailers-only response, as etcd sends for an auth failure.
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "7", "grpc-message": "etcdserver%3A permission denied" }, { endStream: true });
      } else if (path === "/test.Svc/Three") {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "13", "grpc-message": "boom after three" }));
        stream.end(Buffer.concat(["one", "two", "three"].map((s) => frameMessage(Buffer.from(s)))));
      } else if (path === "/test.Svc/Reset") {
        // One message, then the connection dies (etcd killed mid-snapshot).
        stream.respond({ ":status": 200, "content-type": "application/grpc" });
        stream.write(frameMessage(Buffer.from("first")), () => stream.session?.destroy());
      } else if (path === "/test.Svc/NoStatus") {
        stream.respond({ ":status": 200, "content-type": "application/grpc" });
        stream.end(frameMessage(Buffer.from("orphan")));
      }
      // "/test.Svc/Hang": never answered.
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    silent = net.createServer((s) => sockets.push(s.on("error", () => {})));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const tls = loadTlsFiles({ cacert: pki.ca, cert: pki.client.cert, key: pki.client.key });
    client = EtcdClient.connect(parseEndpoints(`127.0.0.1:${(server.address() as net.AddressInfo).port}`)[0]!, tls);
    silentClient = EtcdClient.connect(parseEndpoints(`127.0.0.1:${(silent.address() as net.AddressInfo).port}`)[0]!, tls);
  });

  afterAll(() => {
    client?.close();
    silentClient?.close();
    for (const s of sockets) s.destroy();
    server?.close();
    silent?.close();
  });

  const text = (b: Uint8Array) => Buffer.from(b).toString();

  test("a unary call returns the decoded reply", async () => {
    expect(await client.unary("/test.Svc/Echo", Buffer.from("hello etcd"), text, { timeoutMs: 5_000 })).toBe("hello etcd");
  });

  test("a trailers-only error becomes a GrpcError with the decoded message", async () => {
    const e = await client.unary("/test.Svc/Denied", new Uint8Array(0), text, { timeoutMs: 5_000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GrpcError);
    expect((e as GrpcError).status).toBe(GrpcStatus.PERMISSION_DENIED);
    expect(grpcMessage(e)).toBe("etcdserver: permission denied");
  });

  test("a stream yields its messages, then throws the status of its trailers", async () => {
    const seen: string[] = [];
    const e = await (async () => {
      for await (const m of client.stream("/test.Svc/Three", new Uint8Array(0), text)) seen.push(m);
    })().catch((x: unknown) => x);
    expect(seen).toEqual(["one", "two", "three"]);
    expect((e as GrpcError).status).toBe(GrpcStatus.INTERNAL);
    expect(grpcMessage(e)).toBe("boom after three");
  });

  test("a connection that dies mid-stream fails the call, after what had arrived", async () => {
    const c = EtcdClient.connect(
      parseEndpoints(`127.0.0.1:${(server.address() as net.AddressInfo).port}`)[0]!,
      loadTlsFiles({ cacert: pki.ca, cert: pki.client.cert, key: pki.client.key }),
    );
    const seen: string[] = [];
    try {
      const e = await (async () => {
        for await (const m of c.stream("/test.Svc/Reset", new Uint8Array(0), text)) seen.push(m);
      })().catch((x: unknown) => x);
      expect(seen).toEqual(["first"]);
      expect(e).toBeInstanceOf(GrpcError);
      expect((e as GrpcError).status).toBe(GrpcStatus.UNAVAILABLE);
      expect(grpcMessage(e)).toBe("the connection closed before the call's gRPC status arrived");
    } finally {
      c.close();
    }
  });

  test("a response without a gRPC status is not taken as success", async () => {
    const e = await client.unary("/test.Svc/NoStatus", new Uint8Array(0), text, { timeoutMs: 5_000 }).catch((x: unknown) => x);
    expect((e as GrpcError).status).toBe(GrpcStatus.UNAVAILABLE);
    expect(grpcMessage(e)).toContain("before the call's gRPC status arrived");
  });

  test("an unanswered call ends at its deadline, as etcdctl words it", async () => {
    const e = await client.unary("/test.Svc/Hang", new Uint8Array(0), text, { timeoutMs: 300 }).catch((x: unknown) => x);
    expect((e as GrpcError).status).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    expect(grpcMessage(e)).toBe("context deadline exceeded");
  });

  test("a peer that never completes the TLS handshake: the deadline still ends the call", async () => {
    const e = await silentClient.unary("/test.Svc/Echo", new Uint8Array(0), text, { timeoutMs: 300 }).catch((x: unknown) => x);
    expect((e as GrpcError).status).toBe(GrpcStatus.DEADLINE_EXCEEDED);
  });

  test("an abort ends a pending stream with the abort's reason", async () => {
    const ac = new AbortController();
    const it = client.stream("/test.Svc/Hang", new Uint8Array(0), text, { signal: ac.signal });
    const next = it.next().catch((x: unknown) => x);
    ac.abort(new Error("stopped by the test"));
    expect(((await next) as Error).message).toBe("stopped by the test");
  });

  test("nothing listening: the error names the refused connection", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const c = EtcdClient.connect(parseEndpoints(`127.0.0.1:${port}`)[0]!, loadTlsFiles({ cacert: pki.ca, cert: pki.client.cert, key: pki.client.key }));
    try {
      const e = await c.unary("/test.Svc/Echo", new Uint8Array(0), text, { timeoutMs: 5_000 }).catch((x: unknown) => x);
      expect((e as GrpcError).status).toBe(GrpcStatus.UNAVAILABLE);
      expect(grpcMessage(e)).toContain("ECONNREFUSED");
    } finally {
      c.close();
    }
  });
});
