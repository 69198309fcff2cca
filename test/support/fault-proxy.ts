/**
 * A fault-injecting TCP proxy on loopback for plain-HTTP S3 traffic (the gateway's HTTP port, with
 * --s3-plain-http); it also serves as an HTTP forward proxy (absolute-form request targets) for
 * that one upstream. It frames HTTP/1.1 requests by Content-Length (the S3 client never sends
 * chunked bodies) and, for requests a rule matches, answers 5xx itself, resets the connection or
 * stalls it part-way through the request body, or resets / stalls / corrupts the response after
 * some bytes. Everything else is relayed byte for byte, so SigV4 signatures stay valid.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export type FaultAction = "503" | "reset" | "stall" | "reset-response" | "stall-response" | "corrupt-response";

export interface FaultRule {
  /** Which requests: method and path+query of the request line. */
  match: (req: { method: string; target: string }) => boolean;
  action: FaultAction;
  /** Body bytes (request or response) passed through before the fault. Default 0. */
  afterBytes?: number;
  /** How many matching requests get the fault. Default 1; Infinity for all. */
  times?: number;
}

export interface SeenRequest {
  method: string;
  target: string;
  fault?: FaultAction;
}

export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  private rules: FaultRule[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(upstreamHost: string, upstreamPort: number): Promise<FaultProxy> {
    let proxy!: FaultProxy;
    const server = createServer((client) => proxy.handle(client, upstreamHost, upstreamPort));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const addr = server.address();
    proxy = new FaultProxy(server, typeof addr === "object" && addr ? addr.port : 0);
    return proxy;
  }

  /** host:port to give as --s3-endpoint. */
  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  inject(rule: FaultRule): void {
    this.rules.push({ afterBytes: 0, times: 1, ...rule });
  }

  clear(): void {
    this.rules = [];
    this.seen.length = 0;
  }

  faultsFired(): SeenRequest[] {
    return this.seen.filter((s) => s.fault);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pick(method: string, target: string): FaultRule | undefined {
    const rule = this.rules.find((r) => (r.times ?? 1) > 0 && r.match({ method, target }));
    if (rule) rule.times = (rule.times ?? 1) - 1;
    return rule;
  }

  private handle(client: Socket, host: string, port: number): void {
    this.sockets.add(client);
    const upstream = connect(port, host);
    this.sockets.add(upstream);
    let head = Buffer.alloc(0);
    let bodyLeft = 0;
    let rule: FaultRule | undefined;
    let passed = 0; // body bytes of the current request already relayed
    let respRule: FaultRule | undefined;
    let respPassed = 0;
    let dead = false;

    const kill = () => {
      dead = true;
      (client as Socket & { resetAndDestroy?: () => void }).resetAndDestroy?.() ?? client.destroy();
      upstream.destroy();
    };
    const stall = () => {
      dead = true; // stop relaying; the client gives up on its own
      upstream.destroy();
    };
    client.on("close", () => {
      upstream.destroy();
      this.sockets.delete(client);
    });
    upstream.on("close", () => {
      if (!dead) client.end();
      this.sockets.delete(upstream);
    });
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());

    const send = (buf: Buffer) => {
      if (!upstream.write(buf)) {
        client.pause();
        upstream.once("drain", () => client.resume());
      }
    };

    upstream.on("data", (chunk: Buffer) => {
      if (dead) return;
      if (respRule) {
        const room = (respRule.afterBytes ?? 0) - respPassed;
        if (chunk.length > room) {
          const part = chunk.subarray(0, Math.max(0, room));
          if (respRule.action === "corrupt-response") {
            const copy = Buffer.from(chunk);
            copy[Math.max(0, room)] = (copy[Math.max(0, room)] ?? 0) ^ 0xff;
            respRule = undefined;
            client.write(copy);
            return;
          }
          client.write(part);
          if (respRule.action === "reset-response") kill();
          else stall();
          return;
        }
        respPassed += chunk.length;
      }
      client.write(chunk);
    });

    client.on("data", (data: Buffer) => {
      let chunk = data;
      while (chunk.length > 0 && !dead) {
        if (bodyLeft > 0) {
          const take = chunk.subarray(0, Math.min(bodyLeft, chunk.length));
          chunk = chunk.subarray(take.length);
          bodyLeft -= take.length;
          if (rule && (rule.action === "reset" || rule.action === "stall")) {
            const room = (rule.afterBytes ?? 0) - passed;
            if (take.length > room) {
              send(take.subarray(0, Math.max(0, room)));
              if (rule.action === "reset") kill();
              else stall();
              return;
            }
            passed += take.length;
            send(take);
          } else if (rule?.action === "503") {
            // swallowed; answered when the body is complete
          } else {
            send(take);
          }
          if (bodyLeft === 0 && rule?.action === "503") this.answer503(client);
          continue;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        let headText = head.subarray(0, end + 4);
        chunk = head.subarray(end + 4);
        head = Buffer.alloc(0);
        const [method = "", target = "", version = "HTTP/1.1"] = headText.toString("latin1").split("\r\n")[0]!.split(" ");
        if (/^http:\/\//i.test(target)) {
          // Asked as an HTTP forward proxy (absolute-form): relay in origin-form to the upstream.
          const u = new URL(target);
          const text = headText.toString("latin1");
          headText = Buffer.from(`${method} ${u.pathname}${u.search} ${version}` + text.slice(text.indexOf("\r\n")), "latin1");
        }
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(headText.toString("latin1"));
        bodyLeft = cl ? Number(cl[1]) : 0;
        passed = 0;
        const picked = this.pick(method, target);
        rule = picked && ["503", "reset", "stall"].includes(picked.action) ? picked : undefined;
        respRule = picked && !rule ? picked : undefined;
        respPassed = 0;
        this.seen.push({ method, target, fault: picked?.action });
        if (rule?.action === "503") {
          if (bodyLeft === 0) this.answer503(client);
          continue;
        }
        if (rule && bodyLeft === 0 && (rule.afterBytes ?? 0) === 0) {
          if (rule.action === "reset") kill();
          else stall();
          return;
        }
        send(headText);
      }
    });
  }

  private answer503(client: Socket): void {
    const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate. (injected)</Message></Error>`;
    client.write(`HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`);
  }
}

/** A plain HTTP CONNECT proxy on loopback that records the targets it tunnels to. */
export class ConnectProxy {
  readonly targets: string[] = [];
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<ConnectProxy> {
    let proxy!: ConnectProxy;
    const server = createServer((client) => proxy.handle(client));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const addr = server.address();
    proxy = new ConnectProxy(server, typeof addr === "object" && addr ? addr.port : 0);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private handle(client: Socket): void {
    this.sockets.add(client);
    client.on("close", () => this.sockets.delete(client));
    client.on("error", () => client.destroy());
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      client.off("data", onData);
      const [method, target = ""] = buf.subarray(0, end).toString("latin1").split("\r\n")[0]!.split(" ");
      if (method !== "CONNECT") {
        client.end("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      this.targets.push(target);
      const i = target.lastIndexOf(":");
      const host = target.slice(0, i).replace(/^\[|\]$/g, "");
      // Test names under .invalid stand for the loopback gateway.
      const upstream = connect(Number(target.slice(i + 1)), host.endsWith(".invalid") ? "127.0.0.1" : host, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        const rest = buf.subarray(end + 4);
        if (rest.length) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      this.sockets.add(upstream);
      upstream.on("close", () => this.sockets.delete(upstream));
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
    };
    client.on("data", onData);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
