/**
 * serve's listener (docs/contract.md §o-8, §d-16): HTTPS on 0.0.0.0:2379 (and [::]:2379 where IPv6
 * exists) with the node certificate; a client certificate signed by --cacert is required and
 * checked in the handshake (Bun refuses the others before the handler runs); TLS ≥ 1.2 (Bun's
 * minimum). Only GET/HEAD `/<name>` is answered, with single ranges; everything else gets Go's
 * `404 page not found`. Runs until `signal` fires.
 *
 * The body is a "direct" stream of 256 KiB reads rather than `new Response(Bun.file())`: over TLS
 * it measured ~1 GB/s against 250-400 MB/s here (docs/decisions.md), and it tells when a transfer
 * ends, so that each one is logged with its peer, bytes and duration. The price: Bun sends it
 * chunked, without Content-Length (HEAD still carries the length); the length goes in
 * `x-rke-tools-length` instead.
 *
 * idleTimeout is 0 (off): Bun's 10 s default cuts a paused reader's body short without an error
 * (docs/contract.md §bun-3). The original had no timeout either.
 */
import { statSync } from "node:fs";
import type { Server } from "bun";
import { ErrorCode, RkeToolsError, messageOf } from "../../../errors.ts";
import { openRegular } from "../../../fs/regular.ts";
import { LENGTH_HEADER, SERVE_PORT } from "../peer-wire.ts";
import { GoDuration, silentLogger, type Logger } from "../../../log/logger.ts";
import type { TlsFiles } from "../../../tls/pem.ts";
import { answerRange } from "./range.ts";

const CHUNK = 256 << 10;

export interface ServeOptions {
  /** The snapshot name: the one path served is `/<name>`. */
  name: string;
  tls: TlsFiles;
  /** Default 2379; 0 picks a free port (tests). */
  port?: number;
  /** Default ["0.0.0.0", "::"]; an address that cannot be bound other than the first is skipped. */
  hostnames?: string[];
  signal: AbortSignal;
  log?: Logger;
  /** Called once listening, with the port (useful with port 0). */
  onListening?: (port: number) => void;
}

const plain = (status: number, text: string) => () => new Response(text, { status, headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" } });
const NOT_FOUND = plain(404, "404 page not found\n");
const SERVER_ERROR = plain(500, "500 internal server error\n");

export async function serveSnapshot(file: string, opts: ServeOptions): Promise<void> {
  const log = opts.log ?? silentLogger;
  const servers: Server<undefined>[] = [];
  const [first, ...others] = opts.hostnames ?? ["0.0.0.0", "::"];
  let port = opts.port ?? SERVE_PORT;
  const handler = makeHandler(file, opts.name, log);
  // Last resort: a throw that escapes the handler gets a short 500 and one line, never Bun's
  // development error page (~50 KB with source lines and paths) nor a stack on stderr.
  const onError = (e: unknown) => {
    log.error(`Cannot answer a request for ${file}`, { error: messageOf(e) });
    return SERVER_ERROR();
  };
  try {
    servers.push(listen(first!, port, opts.tls, handler, onError));
    port = servers[0]!.port ?? port;
    for (const h of others) {
      try {
        servers.push(listen(h, port, opts.tls, handler, onError));
      } catch (e) {
        log.debug(`Not listening on [${h}]:${port}`, { error: messageOf(e) });
      }
    }
  } catch (e) {
    for (const s of servers) void s.stop(true);
    // The original's text (Go): `listen tcp 0.0.0.0:2379: bind: address already in use`.
    const why = (e as { code?: string }).code === "EADDRINUSE" ? "bind: address already in use" : messageOf(e);
    throw new RkeToolsError(ErrorCode.Io, `listen tcp ${first}:${port}: ${why}`, { cause: e });
  }
  log.info(`Serving ${file} on port ${port}`, { addresses: servers.map((s) => s.hostname).join(",") });
  opts.onListening?.(port);
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) return resolve();
    opts.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await Promise.all(servers.map((s) => s.stop(true)));
  log.info(`Stopped serving ${file}`);
}

type Handler = (req: Request, server: Server<undefined>) => Response;

function listen(hostname: string, port: number, tls: TlsFiles, fetch: Handler, error: (e: unknown) => Response): Server<undefined> {
  return Bun.serve({
    hostname,
    port,
    ipv6Only: hostname.includes(":"), // the IPv4 listener owns 0.0.0.0
    idleTimeout: 0,
    development: false, // no development error page, even if `error` itself throws
    reusePort: false, // said outright: with development false, Bun 1.4.4 otherwise binds a taken port (SO_REUSEPORT)
    tls: { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true },
    fetch,
    error,
  });
}

/**
 * The decoded path of a request target, without `new URL`: Bun builds `req.url` from the Host
 * header, and a request without one (HTTP/1.0) or with a malformed one makes it unparsable.
 * The path alone names what is served; the query is ignored, as by Go's mux.
 */
export function requestPath(url: string): string {
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "").replace(/[?#].*$/s, "");
  try {
    return decodeURIComponent(path);
  } catch {
    return path; // keep the raw path: it will not match
  }
}

function makeHandler(file: string, name: string, log: Logger): Handler {
  const wanted = `/${name}`;
  return (req, server) => {
    const path = requestPath(req.url);
    if ((req.method !== "GET" && req.method !== "HEAD") || path !== wanted) return NOT_FOUND();

    let st;
    try {
      st = statSync(file);
    } catch (e) {
      // Removed (or made unreadable) while serving: one line, a short answer.
      const code = (e as NodeJS.ErrnoException).code;
      log.warn(`Cannot serve ${file}: ${code === "ENOENT" ? "no such file or directory" : messageOf(e)}`, { peer: peerOf(server, req) });
      return code === "ENOENT" ? NOT_FOUND() : SERVER_ERROR();
    }
    const size = st.size;
    const headers: Record<string, string> = {
      "accept-ranges": "bytes",
      "content-type": "application/octet-stream",
      "last-modified": st.mtime.toUTCString(),
    };
    const range = answerRange(req.headers.get("range"), size);
    if (range === "unsatisfiable") {
      return new Response("invalid range: failed to overlap\n", {
        status: 416,
        headers: { ...headers, "content-range": `bytes */${size}`, "content-type": "text/plain; charset=utf-8" },
      });
    }
    const length = size === 0 ? 0 : range.end - range.start + 1;
    headers["content-length"] = String(length);
    if (range.partial) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
    const status = range.partial ? 206 : 200;
    if (req.method === "HEAD" || length === 0) return new Response(null, { status, headers });
    // A direct stream goes out chunked; the length still travels, for the peer's free-space check
    // and progress lines (download/peer-body.ts).
    delete headers["content-length"];
    headers[LENGTH_HEADER] = String(length);

    const fields = { peer: peerOf(server, req), status };
    const start = performance.now();
    const body = fileBody(file, range.start, range.end, req.signal, (bytes, complete, fault) => {
      const f = { ...fields, bytes, runtime: GoDuration.sinceMs(start) };
      if (complete) log.info(`Served ${file}`, f);
      else log.warn(`Transfer of ${file} ended early`, { ...f, expected: length, ...(fault ? { error: messageOf(fault) } : {}) });
    });
    return new Response(body, { status, headers });
  };
}

function peerOf(server: Server<undefined>, req: Request): string {
  const peer = server.requestIP(req);
  return peer ? (peer.family === "IPv6" ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`) : "unknown";
}

/**
 * The bytes [start, end] of `file` as a "direct" stream: written 256 KiB at a time, each write
 * awaited (backpressure: a paused reader holds one chunk, not the file). Bun sends such a body
 * chunked; the chunked framing lets a client tell a cut transfer from a finished one.
 */
function fileBody(file: string, start: number, end: number, abort: AbortSignal, done: (bytes: number, complete: boolean, fault?: unknown) => void): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: "direct",
    async pull(ctl: DirectController) {
      let n = 0;
      let fileFault: unknown; // the file shrank or could not be read: the body must not end cleanly
      let fh;
      try {
        fh = await openRegular(file);
      } catch (e) {
        done(0, false, e); // removed or replaced since the stat: reset, as for a shrunk file
        throw undefined;
      }
      try {
        // One buffer per transfer: the controller copies what it is given, and we wait for the
        // flush before reading into it again (fresh buffers per chunk cost ~20 MiB of peak RSS).
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, end + 1 - start));
        for (let pos = start; pos <= end && !abort.aborted; ) {
          let got: number;
          try {
            got = (await fh.read(buf, 0, Math.min(buf.length, end + 1 - pos), pos)).bytesRead;
          } catch (e) {
            fileFault = e;
            break;
          }
          if (got === 0) {
            fileFault = new Error(`${file} shrank to ${pos} bytes while being served`);
            break;
          }
          pos += got;
          await ctl.write(buf.subarray(0, got));
          await ctl.flush();
          n += got;
        }
      } catch {
        // the peer went away mid-write
      } finally {
        await fh.close();
      }
      const complete = n === end - start + 1;
      done(n, complete, fileFault);
      if (complete) return ctl.close();
      // Throwing resets the connection: a chunked body ended cleanly would look whole to the
      // client. `undefined` because Bun prints any other thrown value to stderr (our log stream);
      // the cause is in the warning line above.
      if (fileFault) throw undefined;
      ctl.end?.(); // the peer is gone already
    },
  } as unknown as ConstructorParameters<typeof ReadableStream<Uint8Array>>[0]);
}

interface DirectController {
  write(chunk: Uint8Array): number | Promise<number>;
  flush(): number | Promise<number>;
  close(): void;
  end?(): void;
}
