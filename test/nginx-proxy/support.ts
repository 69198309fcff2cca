/** TCP backends, clients and readiness polling for the nginx-proxy tests (loopback only). */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { component } from "../support/components.ts";

/** nginx with a usable stream module: built in, or Debian's loadable one enabled. */
export const nginxStream = component("nginx stream module", () => {
  const v = spawnSync("nginx", ["-V"], { encoding: "utf8" });
  if (v.error || v.status !== 0) return "nginx not found on PATH (Debian nginx)";
  const flags = v.stderr;
  if (/--with-stream(\s|$)/.test(flags)) return undefined;
  if (/--with-stream=dynamic/.test(flags) || existsSync("/usr/share/nginx/modules/ngx_stream_module.so")) {
    return existsSync("/etc/nginx/modules-enabled/50-mod-stream.conf") ? undefined : "libnginx-mod-stream not installed";
  }
  return "nginx has no stream module (libnginx-mod-stream)";
});

/** A TCP backend that says its name on connect, then echoes. */
export class Backend {
  private constructor(
    readonly name: string,
    readonly host: string,
    readonly port: number,
    private readonly server: Server,
  ) {}

  static start(name: string, host: string, port = 0): Promise<Backend> {
    return new Promise((resolve, reject) => {
      const server = createServer((s) => {
        s.on("error", () => {});
        s.write(`${name}\n`);
        s.pipe(s);
      });
      server.once("error", reject);
      server.listen({ host, port, exclusive: true }, () => {
        resolve(new Backend(name, host, (server.address() as { port: number }).port, server));
      });
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      (this.server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  }
}

/** Two backends on one port of two loopback addresses (nginx upstreams share the port). */
export async function backendPair(): Promise<[Backend, Backend]> {
  for (let attempt = 0; ; attempt++) {
    const a = await Backend.start("backend-a", "127.0.0.2");
    try {
      return [a, await Backend.start("backend-b", "127.0.0.3", a.port)];
    } catch (e) {
      await a.stop();
      if (attempt > 20) throw e;
    }
  }
}

/** A port free on `host` just now (listen on 0, read it back, close). */
export async function freePort(host: string): Promise<number> {
  const b = await Backend.start("probe", host);
  await b.stop();
  return b.port;
}

/** A client connection that collects what it receives. */
export class Client {
  private buf = "";
  private closed = false;
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      this.buf += d;
      this.wake();
    });
    const end = () => {
      this.closed = true;
      this.wake();
    };
    socket.on("close", end);
    socket.on("error", end);
  }

  static connect(host: string, port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = createConnection({ host, port }, () => resolve(new Client(s)));
      s.once("error", reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves with the next line; undefined when the connection closes first. Bounded. */
  async line(timeoutMs = 10_000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.buf.indexOf("\n");
      if (nl >= 0) {
        const l = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        return l;
      }
      if (this.closed) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no line from the proxy in time");
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  send(s: string): void {
    this.socket.write(s);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The backend name a new connection through the proxy reaches (undefined: closed by the proxy). */
export async function whoAnswers(host: string, port: number): Promise<string | undefined> {
  const c = await Client.connect(host, port);
  try {
    return await c.line();
  } finally {
    c.close();
  }
}

/** Polls `cond` every 20 ms until true or the deadline; throws naming `what` on timeout. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}
