import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:tls";
import { join } from "node:path";
import { lastLine, runTool } from "../support/bin.ts";
import { ErrorCode, isRkeToolsError } from "../../src/errors.ts";
import { localEndpoint } from "../../src/tools/etcd-backup/download/local-endpoint.ts";
import { AtomicFile, EARLY_SYNC_BYTES } from "../../src/fs/atomic.ts";
import { peerDownload } from "../../src/tools/etcd-backup/download/peer.ts";
import { makePki, type Pki } from "../support/pki.ts";
import { snapshotBytes, withTrailer } from "../faults/fixtures.ts";
import { isServing, messages, restoreDirs, startServe, type RestoreDirs, type ServeProcess } from "./restore-env.ts";

let pki: Pki;
let src: RestoreDirs; // the serving node's /backup
let dst: RestoreDirs; // a peer's /backup
let serve: ServeProcess;
const name = "c-abc12-ml-xyz_2026-11-21T04:51:14Z"; // ':' in names, as Rancher makes them
const snap = snapshotBytes(3 << 20); // etcd checks its own trailer; so does download
const certs = (who: "node" | "foreign" = "node") => ["--cacert", pki.ca, "--cert", pki[who].cert, "--key", pki[who].key];

function download(args: string[], port: number) {
  return runTool("rke-etcd-backup", ["etcd-backup", "download", ...args], { env: { ...dst.env, RKE_TOOLS_SERVE_PORT: String(port) } });
}
const leftovers = () => readdirSync(dst.backup).filter((n) => n.includes(".rke-tmp-"));

beforeAll(async () => {
  pki = makePki();
  src = restoreDirs("download-src");
  dst = restoreDirs("download-dst");
  writeFileSync(join(src.backup, name), snap); // a raw snapshot: serve serves it as is
  const s = await startServe(src.env, ["--name", name, ...certs()]);
  if (!isServing(s)) throw new Error(s.stderr);
  serve = s;
});
afterAll(async () => {
  await serve?.stop();
  src.cleanup();
  dst.cleanup();
});

describe("download --local-endpoint", () => {
  test("fetches the snapshot from serve into /backup/<name> (0600), with the original's four lines", async () => {
    const r = await download(["--name", name, "--local-endpoint", "127.0.0.1", ...certs()], serve.port);
    expect(r.code).toBe(0);
    expect(messages(r.stderr)).toEqual([
      "Initializing Download Backups",
      `Invoking downloading backup files: ${name}`,
      `Trying to download backup file from: https://127.0.0.1:${serve.port}/${name}`,
      `Successfully download ${name} from 127.0.0.1 `,
    ]);
    expect(readFileSync(join(dst.backup, name)).equals(snap)).toBe(true);
    expect(statSync(join(dst.backup, name)).mode & 0o777).toBe(0o600);
    expect(leftovers()).toEqual([]);
  });

  test("progress lines (interval shortened) carry the announced length as total and end before the success line", async () => {
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "download", "--name", name, "--local-endpoint", "127.0.0.1", ...certs()], {
      env: { ...dst.env, RKE_TOOLS_SERVE_PORT: String(serve.port), RKE_TOOLS_PROGRESS_INTERVAL: "1ms" },
    });
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split("\n");
    const progress = lines.filter((l) => l.includes('msg="Downloading snapshot: '));
    expect(progress.length).toBeGreaterThan(0);
    // Our serve's body is chunked; its length comes in x-rke-tools-length.
    for (const l of progress)
      expect(l).toMatch(
        new RegExp(`msg="Downloading snapshot: [0-9.]+ (B|KiB|MiB) of 3\\.0 MiB \\(\\d+%\\), [^"]+" bytes=\\d+ name="${name}" percent=\\d+ rate="[^"]+" total=${snap.length}$`),
      );
    expect(lastLine(r.stderr)).toContain("Successfully download");
  });

  test("is idempotent: a rerun replaces a stale file", async () => {
    writeFileSync(join(dst.backup, name), "stale");
    const r = await download(["--name", name, "--local-endpoint", "127.0.0.1", ...certs()], serve.port);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dst.backup, name)).equals(snap)).toBe(true);
  });

  test("an IPv6 endpoint goes in brackets", async () => {
    const r = await download(["--name", name, "--local-endpoint", "::1", ...certs()], serve.port);
    expect(r.code).toBe(0);
    expect(messages(r.stderr)[2]).toBe(`Trying to download backup file from: https://[::1]:${serve.port}/${name}`);
    expect(readFileSync(join(dst.backup, name)).equals(snap)).toBe(true);
  });

  test("a name serve does not have: 404, exit 1, no file", async () => {
    const r = await download(["--name", "other", "--local-endpoint", "127.0.0.1", ...certs()], serve.port);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain("level=fatal");
    expect(lastLine(r.stderr)).toContain("backup download failed: server answered 404 Not Found");
    expect(r.stderr).toContain("level=error");
    expect(existsSync(join(dst.backup, "other"))).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  test("our certificate refused by serve (foreign CA): exit 1, no file", async () => {
    const r = await download(["--name", "x1", "--local-endpoint", "127.0.0.1", "--cacert", pki.ca, "--cert", pki.foreign.cert, "--key", pki.foreign.key], serve.port);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain("backup download failed:");
    expect(existsSync(join(dst.backup, "x1"))).toBe(false);
  });

  test("nothing listening: connection refused, exit 1", async () => {
    const r = await download(["--name", name, "--local-endpoint", "127.0.0.1", ...certs()], 1);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain("connection refused");
  });

  test("flags are checked first, with the original's texts", async () => {
    const cases: [string[], string][] = [
      [["--local-endpoint", "127.0.0.1", ...certs()], "snapshot name is required"],
      [["--name", name, ...certs()], "local-endpoint is required"],
      [["--name", name, "--local-endpoint", "127.0.0.1"], "cacert, cert and key are required"],
      [["--name", "../x", "--local-endpoint", "127.0.0.1", ...certs()], "contains '/'"],
      [["--name", name, "--local-endpoint", "127.0.0.1:x", ...certs()], "invalid --local-endpoint"],
      // Were taken as bare IPv6 addresses (https://[a:b:c]:2379/…) before src/net/endpoint.ts.
      [["--name", name, "--local-endpoint", "a:b:c", ...certs()], 'invalid --local-endpoint \\"a:b:c\\": give an address'],
      [["--name", name, "--local-endpoint", "[::1]:x", ...certs()], 'invalid --local-endpoint \\"[::1]:x\\": the port is not a number'],
      [["--name", name, "--s3-backup"], "--s3-bucketName is empty"],
    ];
    for (const [args, text] of cases) {
      const r = await download(args, serve.port);
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toContain(text);
    }
  });
});

describe("download verifies the server", () => {
  test("a serve whose certificate comes from a foreign CA is refused", async () => {
    const rogue = restoreDirs("download-rogue");
    writeFileSync(join(rogue.backup, "snap1"), withTrailer(Buffer.from("rogue bytes")));
    // The rogue server trusts our client certificate but presents one from another CA.
    const s = await startServe(rogue.env, ["--name", "snap1", "--cacert", pki.ca, "--cert", pki.foreign.cert, "--key", pki.foreign.key]);
    if (!isServing(s)) throw new Error(s.stderr);
    try {
      const r = await download(["--name", "snap1", "--local-endpoint", "127.0.0.1", ...certs()], s.port);
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toContain("the server's certificate is not signed by --cacert");
      expect(existsSync(join(dst.backup, "snap1"))).toBe(false);
    } finally {
      await s.stop();
      rogue.cleanup();
    }
  });

  describe("a server that cuts the body short", () => {
    let server: Server;
    let port = 0;
    beforeAll(async () => {
      server = createServer({ key: pki.read(pki.node.key), cert: pki.read(pki.node.cert), ca: pki.read(pki.ca), requestCert: true, rejectUnauthorized: true }, (sock) => {
        sock.once("data", () => {
          sock.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n" + "x".repeat(500));
          sock.end();
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => server.close());

    test("Content-Length not met: exit 1, nothing under the final name", async () => {
      const r = await download(["--name", "cut", "--local-endpoint", "127.0.0.1", ...certs()], port);
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(/backup download failed: (received 500 of 1000 bytes|transfer broke off)/);
      expect(existsSync(join(dst.backup, "cut"))).toBe(false);
      expect(leftovers()).toEqual([]);
    });
  });
});

describe("peerDownload (library): a peer that stops sending", () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer({ key: pki.read(pki.node.key), cert: pki.read(pki.node.cert), ca: pki.read(pki.ca), requestCert: true, rejectUnauthorized: true }, (sock) => {
      sock.once("data", () => sock.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000))); // then silence
      sock.on("error", () => {});
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => server.close());

  const tls = () => ({ ca: pki.read(pki.ca), cert: pki.read(pki.node.cert), key: pki.read(pki.node.key) });
  const endpoint = () => localEndpoint("127.0.0.1", port);

  test("gives up after the stall limit; nothing is left behind", async () => {
    const e = await peerDownload("stalled", { endpoint: endpoint(), tls: tls(), dest: join(dst.backup, "stalled"), stallMs: 1500 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isRkeToolsError(e, ErrorCode.Http)).toBe(true);
    expect((e as Error).message).toContain("no data for 1.5 s");
    expect(existsSync(join(dst.backup, "stalled"))).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  test("an abort (SIGTERM) ends it as E_ABORTED; nothing is left behind", async () => {
    const ac = new AbortController();
    const p = peerDownload("aborted", { endpoint: endpoint(), tls: tls(), dest: join(dst.backup, "aborted"), signal: ac.signal });
    ac.abort(new Error("received SIGTERM"));
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isRkeToolsError(e, ErrorCode.Aborted)).toBe(true);
    expect(existsSync(join(dst.backup, "aborted"))).toBe(false);
    expect(leftovers()).toEqual([]);
  });
});

describe("peerDownload (library): a large body", () => {
  const big = snapshotBytes(EARLY_SYNC_BYTES + 2 * (1 << 20));
  const head = EARLY_SYNC_BYTES + (1 << 20);
  let synced = Promise.withResolvers<void>();
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    // Sends all but the last MiB, then waits for the client's early sync before it ends the body.
    server = createServer({ key: pki.read(pki.node.key), cert: pki.read(pki.node.cert), ca: pki.read(pki.ca), requestCert: true, rejectUnauthorized: true }, (sock) => {
      sock.on("error", () => {});
      sock.once("data", async () => {
        sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n`);
        sock.write(big.subarray(0, head));
        await synced.promise;
        sock.end(big.subarray(head));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    synced.resolve();
    server.close();
  });

  test("is synced to disk as it grows, as the S3 download is (an fdatasync while the body still streams)", async () => {
    const original = AtomicFile.prototype.syncEarly;
    AtomicFile.prototype.syncEarly = function (this: AtomicFile) {
      synced.resolve();
      original.call(this);
    };
    try {
      const tls = { ca: pki.read(pki.ca), cert: pki.read(pki.node.cert), key: pki.read(pki.node.key) };
      // Without early syncs the server never ends the body: the download then stalls and fails.
      const r = await peerDownload("big", { endpoint: localEndpoint("127.0.0.1", port), tls, dest: join(dst.backup, "big"), stallMs: 10_000 });
      expect(r.bytes).toBe(big.length);
      expect(readFileSync(join(dst.backup, "big")).equals(big)).toBe(true);
      expect(leftovers()).toEqual([]);
    } finally {
      AtomicFile.prototype.syncEarly = original;
    }
  });
});
