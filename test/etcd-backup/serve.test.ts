import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { connect } from "node:tls";
import { join } from "node:path";
import { lastLine, toolPath } from "../support/bin.ts";
import { withTrailer } from "../faults/fixtures.ts";
import { writeGoZip } from "../support/go-zip.ts";
import { makePki, type Pki } from "../support/pki.ts";
import { isServing, messages, restoreDirs, startServe, type RestoreDirs, type ServeProcess } from "./restore-env.ts";

let d: RestoreDirs;
let pki: Pki;
let serve: ServeProcess;
// Big enough to fill the socket buffers of a reader that stops reading.
const snap = withTrailer(Buffer.concat([randomBytes(24 << 20), Buffer.alloc(40 << 20, "bbolt page ")]));
const certArgs = () => ["--cacert", pki.ca, "--cert", pki.node.cert, "--key", pki.node.key];

function tlsOpts(who: "client" | "foreign" | "none") {
  const base = { ca: pki.read(pki.ca), checkServerIdentity: () => undefined };
  if (who === "none") return base;
  const c = who === "client" ? pki.client : pki.foreign;
  return { ...base, cert: pki.read(c.cert), key: pki.read(c.key) };
}

function get(path: string, init: RequestInit & { who?: "client" | "foreign" | "none"; host?: string } = {}) {
  return fetch(`https://${init.host ?? "127.0.0.1"}:${serve.port}${path}`, { ...init, tls: tlsOpts(init.who ?? "client") } as RequestInit);
}

beforeAll(async () => {
  pki = makePki();
  d = restoreDirs("serve");
  await writeGoZip(join(d.backup, "snap1.zip"), [
    { name: "/backup/snap1", data: snap },
    { name: "/etc/kubernetes/snap1.rkestate", data: Buffer.from("{}"), mode: 0o100644 },
  ]);
  const s = await startServe(d.env, ["--name", "snap1", ...certArgs()]);
  if (!isServing(s)) throw new Error(`serve did not start: ${s.stderr}`);
  serve = s;
});
afterAll(async () => {
  await serve?.stop();
  d.cleanup();
});

describe("serve: extraction and listening", () => {
  test("extracts /backup/<name> from the zip in the original's layout (0600), then listens", () => {
    expect(readFileSync(join(d.backup, "snap1")).equals(snap)).toBe(true);
    expect(statSync(join(d.backup, "snap1")).mode & 0o777).toBe(0o600);
    expect(messages(serve.stderr()).slice(0, 2)).toEqual([`Extracted from ${d.backup}/snap1.zip`, `Serving ${d.backup}/snap1 on port ${serve.port}`]);
    expect(readdirSync(d.backup).filter((n) => n.includes(".rke-tmp-"))).toEqual([]);
  });
});

describe("serve: what a client with a certificate from --cacert gets", () => {
  test("GET /<name>: the uncompressed bytes, and a transfer line", async () => {
    const r = await get("/snap1");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/octet-stream");
    expect(r.headers.get("accept-ranges")).toBe("bytes");
    expect(r.headers.get("last-modified")).toMatch(/GMT$/);
    expect(Buffer.from(await r.arrayBuffer()).equals(snap)).toBe(true);
    const line = await serve.waitFor(new RegExp(`msg="Served .*snap1" bytes=${snap.length} peer="127\\.0\\.0\\.1:\\d+" runtime=\\S+ status=200`));
    expect(line).toContain("level=info");
  });

  test("over IPv6 loopback too", async () => {
    const r = await get("/snap1", { host: "[::1]", method: "HEAD" });
    expect(r.status).toBe(200);
  });

  test("HEAD: the length, no body", async () => {
    const r = await get("/snap1", { method: "HEAD" });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-length")).toBe(String(snap.length));
    expect((await r.arrayBuffer()).byteLength).toBe(0);
  });

  test("Range: 206 with the right bytes, suffix and open ranges, 416 beyond the end", async () => {
    const r = await get("/snap1", { headers: { range: "bytes=100-199" } });
    expect(r.status).toBe(206);
    expect(r.headers.get("content-range")).toBe(`bytes 100-199/${snap.length}`);
    expect(Buffer.from(await r.arrayBuffer()).equals(snap.subarray(100, 200))).toBe(true);
    const tail = await get("/snap1", { headers: { range: "bytes=-10" } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(snap.subarray(snap.length - 10))).toBe(true);
    const open = await get("/snap1", { headers: { range: `bytes=${snap.length - 5}-` } });
    expect(Buffer.from(await open.arrayBuffer()).equals(snap.subarray(snap.length - 5))).toBe(true);
    const beyond = await get("/snap1", { headers: { range: `bytes=${snap.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${snap.length}`);
  });

  test("anything else: 404 page not found", async () => {
    for (const [path, method] of [
      ["/", "GET"],
      ["/snap1.zip", "GET"],
      ["/snap1/", "GET"],
      ["/backup/snap1", "GET"],
      ["/SNAP1", "GET"],
      ["/snap1", "POST"],
      ["/snap1", "DELETE"],
    ]) {
      const r = await get(path!, { method });
      expect(r.status).toBe(404);
      expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(await r.text()).toBe("404 page not found\n");
    }
    const q = await get("/snap1?x=1", { method: "HEAD" });
    expect(q.status).toBe(200); // a query string is ignored, as by Go's mux
  });
});

describe("serve: refused at the handshake", () => {
  test("a client without a certificate", async () => {
    const e = await get("/snap1", { who: "none" }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(e).toBeInstanceOf(Error);
  });

  test("a client whose certificate comes from a foreign CA", async () => {
    const e = await get("/snap1", { who: "foreign" }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(e).toBeInstanceOf(Error);
  });
});

describe("serve: a reader that pauses", () => {
  // The pause is the behaviour under test (Bun's default idleTimeout of 10 s would cut the body
  // short without an error), not a synchronisation: it has to last longer than 10 s of real time.
  test("pausing 15 s mid-transfer still gets every byte", async () => {
    const got = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let paused = false;
      let n = 0;
      const sock = connect(
        { host: "127.0.0.1", port: serve.port, ca: pki.read(pki.ca), cert: pki.read(pki.client.cert), key: pki.read(pki.client.key), checkServerIdentity: () => undefined },
        () => {
          sock.write("GET /snap1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        },
      );
      sock.on("data", (c: Buffer) => {
        chunks.push(c);
        n += c.length;
        if (!paused && n > 4 << 20) {
          paused = true;
          sock.pause();
          setTimeout(() => sock.resume(), 15_000);
        }
      });
      sock.on("end", () => resolve(Buffer.concat(chunks)));
      sock.on("error", reject);
    });
    const split = got.indexOf("\r\n\r\n");
    expect(got.subarray(0, split).toString()).toContain("HTTP/1.1 200 OK");
    const body = dechunk(got.subarray(split + 4));
    expect(body.length).toBe(snap.length);
    expect(body.equals(snap)).toBe(true);
  }, 60_000);
});

describe("serve: a snapshot that shrinks while being served", () => {
  test("the client sees a broken body, not a short one that looks whole", async () => {
    const e = restoreDirs("serve-shrink");
    writeFileSync(join(e.backup, "s"), snap);
    const s = await startServe(e.env, ["--name", "s", ...certArgs()], { hosts: "127.0.0.1" });
    if (!isServing(s)) throw new Error(s.stderr);
    try {
      const got = await new Promise<Buffer>((resolve) => {
        const chunks: Buffer[] = [];
        let n = 0;
        let truncated = false;
        const sock = connect(
          { host: "127.0.0.1", port: s.port, ca: pki.read(pki.ca), cert: pki.read(pki.client.cert), key: pki.read(pki.client.key), checkServerIdentity: () => undefined },
          () => {
            sock.write("GET /s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
          },
        );
        sock.on("data", (c: Buffer) => {
          chunks.push(c);
          n += c.length;
          if (!truncated && n > 4 << 20) {
            truncated = true;
            truncateSync(join(e.backup, "s"), 1 << 20); // serve is past this point already
          }
        });
        const finish = () => resolve(Buffer.concat(chunks));
        sock.on("end", finish);
        sock.on("error", finish);
        sock.on("close", finish);
      });
      const body = got.subarray(got.indexOf("\r\n\r\n") + 4);
      expect(() => dechunk(body)).toThrow("chunked body cut short");
      const line = await s.waitFor(/Transfer of .* ended early/);
      expect(line).toContain("level=warning");
      expect(line).toContain("shrank to");
      expect(
        s
          .stderr()
          .split("\n")
          .filter((l) => l !== "" && !l.startsWith("time=")),
      ).toEqual([]); // nothing but log lines
    } finally {
      await s.stop();
      e.cleanup();
    }
  }, 60_000);
});

/** One raw request over TLS with the client certificate; the whole answer (the server closes). */
function rawRequest(port: number, request: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = connect(
      { host: "127.0.0.1", port, ca: pki.read(pki.ca), cert: pki.read(pki.client.cert), key: pki.read(pki.client.key), checkServerIdentity: () => undefined },
      () => sock.write(request),
    );
    const finish = () => resolve(Buffer.concat(chunks));
    sock.on("data", (c: Buffer) => chunks.push(c));
    sock.on("end", finish);
    sock.on("error", finish);
    sock.on("close", finish);
  });
}

describe("serve: odd requests get short answers, never the runtime's error page (issue 19, item 9)", () => {
  test("HTTP/1.0 without Host, a malformed Host, a snapshot removed while serving: 400/404, one log line each", async () => {
    const e = restoreDirs("serve-odd");
    const small = withTrailer(randomBytes(1000));
    writeFileSync(join(e.backup, "odd"), small);
    const s = await startServe(e.env, ["--name", "odd", ...certArgs()], { hosts: "127.0.0.1" });
    if (!isServing(s)) throw new Error(s.stderr);
    try {
      const before = s.stderr().split("\n").length;
      const answers = [
        await rawRequest(s.port, "GET /odd HTTP/1.0\r\n\r\n"),
        await rawRequest(s.port, "GET /odd HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n"),
        await rawRequest(s.port, "GET /odd HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n"),
      ];
      for (const a of answers) {
        const text = a.toString("latin1");
        // Whole snapshot (a Host is not needed to name the file) or a short 400: nothing else.
        expect(text).toMatch(/^HTTP\/1\.[01] (200 OK|400 Bad Request)\r\n/);
        if (text.includes(" 400 ")) expect(a.length).toBeLessThan(400);
        expect(text).not.toContain("bun");
        expect(text).not.toContain("at ");
      }
      rmSync(join(e.backup, "odd"));
      const gone = (await rawRequest(s.port, "GET /odd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).toString("latin1");
      expect(gone).toStartWith("HTTP/1.1 404 Not Found\r\n");
      expect(gone).toEndWith("\r\n\r\n404 page not found\n");
      const line = await s.waitFor(/no such file/);
      expect(line).toMatch(/^time=\S+ level=(warning|error) msg=.*odd/);
      const lines = s
        .stderr()
        .split("\n")
        .slice(before - 1)
        .filter((l) => l !== "");
      expect(lines.every((l) => l.startsWith("time="))).toBe(true); // log lines only: no stack, no source excerpt
    } finally {
      await s.stop();
      e.cleanup();
    }
  });
});

describe("serve: stderr a broken pipe (issue 19, item 17)", () => {
  test("transfers still end whole when their log lines cannot be written", async () => {
    const e = restoreDirs("serve-epipe");
    const small = withTrailer(randomBytes(3 << 20));
    writeFileSync(join(e.backup, "p"), small);
    const proc = Bun.spawn([toolPath("rke-etcd-backup"), "etcd-backup", "serve", "--name", "p", ...certArgs()], {
      env: { ...e.env, RKE_TOOLS_SERVE_PORT: "0", RKE_TOOLS_SERVE_HOSTS: "127.0.0.1" },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    try {
      const reader = proc.stderr.getReader();
      let text = "";
      while (!/on port (\d+)/.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`serve ended: ${text}`);
        text += new TextDecoder().decode(value);
      }
      const port = Number(/on port (\d+)/.exec(text)![1]);
      await reader.cancel(); // closes our end: serve's next stderr write gets EPIPE
      for (let i = 0; i < 2; i++) {
        const r = await fetch(`https://127.0.0.1:${port}/p`, { tls: tlsOpts("client") } as RequestInit);
        expect(r.status).toBe(200);
        expect(Buffer.from(await r.arrayBuffer()).equals(small)).toBe(true); // the old serve reset it at the end
      }
      expect(proc.exitCode).toBeNull(); // still serving
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
      e.cleanup();
    }
  });
});

describe("serve: start-up failures (flags are checked before extracting)", () => {
  let e: RestoreDirs;
  beforeAll(async () => {
    e = restoreDirs("serve-fail");
    await writeGoZip(join(e.backup, "z.zip"), [{ name: "/backup/z", data: withTrailer(Buffer.from("zzz")) }]);
    await writeGoZip(join(e.backup, "two.zip"), [
      { name: "/backup/a", data: Buffer.from("a") },
      { name: "/backup/b", data: Buffer.from("b") },
    ]);
    writeFileSync(join(e.backup, "bad.zip"), "PK\x03\x04 garbage");
    writeFileSync(join(e.backup, "bad"), "previous raw file");
    const flipped = withTrailer(randomBytes(100_000));
    flipped[5] = flipped[5]! ^ 1;
    writeFileSync(join(e.backup, "flipped"), flipped);
    writeFileSync(join(e.backup, "empty"), "");
    await writeGoZip(join(e.backup, "short.zip"), [{ name: "/backup/short", data: Buffer.from("etcd") }]);
    execFileSync("mkfifo", [join(e.backup, "fifo.zip"), join(e.backup, "rawfifo")]);
  });
  afterAll(() => e.cleanup());

  const fails = async (args: string[], text: string) => {
    const s = await startServe(e.env, args);
    if (isServing(s)) {
      await s.stop();
      throw new Error("serve started");
    }
    expect(s.code).toBe(1);
    expect(lastLine(s.stderr)).toContain("level=fatal");
    expect(lastLine(s.stderr)).toContain(text);
  };

  test("no cert flags: refused, and the zip is NOT extracted", async () => {
    await fails(["--name", "z"], 'msg="cacert, cert and key are required"');
    expect(existsSync(join(e.backup, "z"))).toBe(false);
  });
  test("no name", () => fails(certArgs(), 'msg="snapshot name is required"'));
  test("a name with '/'", () => fails(["--name", "../z", ...certArgs()], "contains '/'"));
  test("a missing CA file", () => fails(["--name", "z", "--cacert", "/nonexistent/ca.pem", "--cert", pki.node.cert, "--key", pki.node.key], "--cacert"));
  test("an unknown name", () => fails(["--name", "nope", ...certArgs()], `stat ${e.backup}/nope: no such file or directory`));
  test("a corrupt zip leaves the existing raw file alone", async () => {
    await fails(["--name", "bad", ...certArgs()], "zip: not a valid zip file");
    expect(readFileSync(join(e.backup, "bad"), "utf8")).toBe("previous raw file");
  });
  test("a zip without the entry", () => fails(["--name", "two", ...certArgs()], `File [/backup/two] not found in file [${e.backup}/two.zip]`));
  test("a snapshot whose SHA-256 trailer does not match, an empty one, one too short for a trailer: refused before listening (issue 19, item 10)", async () => {
    await fails(["--name", "flipped", ...certArgs()], `Cannot serve ${e.backup}/flipped: it is not a whole etcd snapshot: its trailer is `);
    await fails(["--name", "empty", ...certArgs()], `Cannot serve ${e.backup}/empty: it is empty`);
    await fails(["--name", "short", ...certArgs()], `Cannot serve ${e.backup}/short: its 4 bytes are too few to hold etcd's SHA-256 trailer`);
  });
  test("a FIFO at <name>.zip or at <name>: refused at once (issue 19, item 14)", async () => {
    // The old code blocked in open(2) on the main thread: the start-up never ended, SIGTERM did not stop it.
    await fails(["--name", "fifo", ...certArgs()], `Cannot read archive ${e.backup}/fifo.zip: not a regular file (a FIFO)`);
    await fails(["--name", "rawfifo", ...certArgs()], `Cannot serve ${e.backup}/rawfifo: not a regular file (a FIFO)`);
  });
  test("the port is taken; SIGTERM ends a running serve cleanly", async () => {
    const s = await startServe(e.env, ["--name", "z", ...certArgs()], { hosts: "127.0.0.1" });
    if (!isServing(s)) throw new Error(s.stderr);
    const again = await startServe(e.env, ["--name", "z", ...certArgs()], { hosts: "127.0.0.1", port: s.port });
    if (isServing(again)) await again.stop();
    expect(isServing(again)).toBe(false);
    expect(lastLine((again as { stderr: string }).stderr)).toContain(`listen tcp 127.0.0.1:${s.port}: bind: address already in use`);
    expect(await s.stop()).toBe(0);
    expect(messages(s.stderr()).at(-1)).toBe(`Stopped serving ${e.backup}/z`);
  });
});

/** HTTP/1.1 chunked framing, strictly: throws on a body cut short (no final 0-length chunk). */
function dechunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = b.indexOf("\r\n", i);
    if (eol < 0) throw new Error("chunked body cut short");
    const size = Number.parseInt(b.subarray(i, eol).toString(), 16);
    if (size === 0) return Buffer.concat(parts);
    if (eol + 2 + size > b.length) throw new Error("chunked body cut short");
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}
