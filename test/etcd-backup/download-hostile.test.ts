/**
 * `download --local-endpoint` against peers that answer badly (issue 19.2): a body with no definite
 * end, an error page, nothing, a compressed body, a cut chunked body, a size no disk holds. Each
 * must end in one clear line, exit 1, and nothing under /backup; a good chunked body still works.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { statfsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server, type TLSSocket } from "node:tls";
import { gzipSync } from "node:zlib";
import { lastLine, runTool } from "../support/bin.ts";
import { makePki, type Pki } from "../support/pki.ts";
import { snapshotBytes } from "../faults/fixtures.ts";
import { restoreDirs, type RestoreDirs } from "./restore-env.ts";

let pki: Pki;
let dst: RestoreDirs;
const snap = snapshotBytes(256 << 10); // a valid etcd snapshot: its last 32 bytes are the SHA-256 of the rest

/** A TLS peer with the node's certificate that answers every request with `answer(request)`. */
async function peer(answer: (request: string, sock: TLSSocket) => void): Promise<{ port: number; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer({ key: pki.read(pki.node.key), cert: pki.read(pki.node.cert), ca: pki.read(pki.ca), requestCert: true, rejectUnauthorized: true }, (sock) => {
    sock.on("error", () => {});
    sock.once("data", (d) => {
      requests.push(d.toString());
      answer(d.toString(), sock);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as { port: number }).port, requests, server };
}

function download(name: string, port: number) {
  const certs = ["--cacert", pki.ca, "--cert", pki.node.cert, "--key", pki.node.key];
  return runTool("rke-etcd-backup", ["etcd-backup", "download", "--name", name, "--local-endpoint", "127.0.0.1", ...certs], {
    env: { ...dst.env, RKE_TOOLS_SERVE_PORT: String(port) },
  });
}

const chunked = (parts: Buffer[], end = true) =>
  Buffer.concat([...parts.flatMap((p) => [Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from("\r\n")]), Buffer.from(end ? "0\r\n\r\n" : "")]);
const head = (lines: string[]) => `HTTP/1.1 200 OK\r\n${[...lines, "Connection: close"].join("\r\n")}\r\n\r\n`;

beforeAll(() => {
  pki = makePki();
  dst = restoreDirs("download-hostile");
});
afterAll(() => dst.cleanup());

const refused: [string, (req: string, sock: TLSSocket) => void, RegExp][] = [
  [
    "no Content-Length, not chunked, cut after half the snapshot",
    (_, s) => s.end(Buffer.concat([Buffer.from(head([])), snap.subarray(0, snap.length >> 1)])),
    /backup download failed: the server gave neither a Content-Length nor chunked encoding, so a cut-off body could not be told from a whole one \(GET https:\/\/127\.0\.0\.1:\d+\/\w+\)"$/,
  ],
  [
    "a 200 with an HTML page",
    (_, s) => {
      const html = "<html><body>Welcome to nginx!</body></html>";
      s.end(head(["Content-Type: text/html", `Content-Length: ${html.length}`]) + html);
    },
    /backup download failed: the 43 bytes received are not an etcd snapshot: they do not end with the SHA-256 of the rest \(etcd's trailer\)/,
  ],
  ["a 0-byte body", (_, s) => s.end(head(["Content-Length: 0"])), /backup download failed: the body is empty, not an etcd snapshot/],
  [
    "a snapshot with one byte changed",
    (_, s) => {
      const bad = Buffer.from(snap);
      bad[1000]! ^= 1;
      s.end(Buffer.concat([Buffer.from(head([`Content-Length: ${bad.length}`])), bad]));
    },
    /backup download failed: the 262176 bytes received are not an etcd snapshot/,
  ],
  [
    "a chunked body cut off mid-chunk",
    (_, s) => s.end(Buffer.concat([Buffer.from(head(["Transfer-Encoding: chunked"])), chunked([snap.subarray(0, 1000), snap.subarray(1000)], false).subarray(0, 5000)])),
    /backup download failed: transfer broke off after \d+ bytes: the connection closed before the body ended \(ECONNRESET\)/,
  ],
  [
    "a body compressed though identity was asked for",
    (_, s) => {
      const z = gzipSync(snap);
      s.end(Buffer.concat([Buffer.from(head(["Content-Encoding: gzip", `Content-Length: ${z.length}`])), z]));
    },
    /backup download failed: the server compressed the body \(Content-Encoding: gzip\) though we asked for identity/,
  ],
  [
    "a Content-Length larger than the free space (or than any snapshot)",
    (_, s) => {
      const free = Number(statfsSync(dst.backup).bavail) * Number(statfsSync(dst.backup).bsize);
      s.end(head([`Content-Length: ${free + 1}`]) + "x");
    },
    /backup download failed: (Cannot write .*: it needs \d+ bytes and only \d+ are free|the server announced \d+ bytes, more than any etcd snapshot \(68719476736\))/,
  ],
];

describe("download --local-endpoint refuses what is not a whole snapshot", () => {
  refused.forEach(([label, answer, want], i) => {
    test(label, async () => {
      const p = await peer(answer);
      try {
        const r = await download(`bad${i}`, p.port);
        expect(r.code).toBe(1);
        expect(lastLine(r.stderr)).toMatch(/level=fatal /);
        expect(lastLine(r.stderr)).toMatch(want);
        expect(r.stderr).not.toContain("verbose: true"); // Bun's advice to its developers
        expect(r.stderr).not.toContain("--cert?"); // no TLS hint once data has flowed
        expect(readdirSync(dst.backup)).toEqual([]);
      } finally {
        p.server.close();
      }
    });
  });
});

describe("download --local-endpoint accepts a whole snapshot however it is framed", () => {
  test("asks for identity; a peer that would compress otherwise sends it plain", async () => {
    const p = await peer((req, s) => {
      const plain = /accept-encoding: identity\r\n/i.test(req);
      const body = plain ? snap : gzipSync(snap);
      s.end(Buffer.concat([Buffer.from(head([...(plain ? [] : ["Content-Encoding: gzip"]), `Content-Length: ${body.length}`])), body]));
    });
    try {
      const r = await download("identity", p.port);
      expect(r.code).toBe(0);
      expect(p.requests[0]).toMatch(/accept-encoding: identity\r\n/i);
      expect(readFileSync(`${dst.backup}/identity`).equals(snap)).toBe(true);
    } finally {
      p.server.close();
    }
  });

  test("chunked encoding with its closing chunk", async () => {
    const p = await peer((_, s) => s.end(Buffer.concat([Buffer.from(head(["Transfer-Encoding: chunked"])), chunked([snap.subarray(0, 1000), snap.subarray(1000)])])));
    try {
      const r = await download("chunked", p.port);
      expect(r.code).toBe(0);
      expect(readFileSync(`${dst.backup}/chunked`).equals(snap)).toBe(true);
    } finally {
      p.server.close();
    }
  });
});
