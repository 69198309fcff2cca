/**
 * A throw-away PKI made with openssl, shaped like RKE's: a CA (kube-ca), a server certificate with
 * SAN IP:127.0.0.1,IP:::1,DNS:localhost (serverAuth+clientAuth, like kube-etcd), a node certificate
 * with NO SANs (like kube-node, which serve uses as its server certificate), a client-only
 * certificate, and a foreign CA with a certificate of its own. Made once per test process, removed
 * when it exits.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { declareSecret } from "./secrets.ts";

export interface CertPaths {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  ca: string; // CA certificate path
  caKey: string;
  server: CertPaths; // SAN 127.0.0.1, ::1, localhost
  node: CertPaths; // no SANs at all (RKE kube-node)
  client: CertPaths; // clientAuth only
  foreignCa: string;
  foreign: CertPaths; // signed by foreignCa, SAN 127.0.0.1 (serverAuth+clientAuth)
  read(path: string): string;
}

let cached: Pki | undefined;

function openssl(args: string[], cwd: string) {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

function issue(dir: string, name: string, ca: string, caKey: string, subj: string, ext: string): CertPaths {
  const key = join(dir, `${name}-key.pem`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-subj", subj, "-out", csr], dir);
  openssl(["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-days", "30", "-sha256", "-extfile", extFile, "-out", cert], dir);
  return { cert, key };
}

function makeCa(dir: string, name: string, cn: string): { cert: string; key: string } {
  const key = join(dir, `${name}-key.pem`);
  const cert = join(dir, `${name}.pem`);
  openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-subj",
      `/CN=${cn}`,
      "-days",
      "30",
      "-sha256",
      "-out",
      cert,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  return { cert, key };
}

export function makePki(): Pki {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), "rke-pki-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true })); // shared by the whole process
  const ca = makeCa(dir, "kube-ca", "kube-ca");
  const both = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n";
  const server = issue(dir, "server", ca.cert, ca.key, "/CN=kube-etcd", both + "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n");
  const node = issue(dir, "kube-node", ca.cert, ca.key, "/O=system:nodes/CN=system:node", both);
  const client = issue(dir, "client", ca.cert, ca.key, "/CN=client", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  const foreignCa = makeCa(dir, "foreign-ca", "foreign-ca");
  const foreign = issue(dir, "foreign", foreignCa.cert, foreignCa.key, "/CN=foreign", both + "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  // Private keys must never reach any output: the sweep looks for a line of each key's body.
  for (const k of [ca.key, server.key, node.key, client.key, foreignCa.key, foreign.key]) {
    declareSecret(
      readFileSync(k, "utf8")
        .split("\n")
        .find((l) => /^[A-Za-z0-9+/]{40,}$/.test(l)),
    );
  }
  cached = { dir, ca: ca.cert, caKey: ca.key, server, node, client, foreignCa: foreignCa.cert, foreign, read: (p) => readFileSync(p, "utf8") };
  return cached;
}
