/**
 * PEM material from files or flags. Validation happens here once, so that a bad --cacert is one
 * clear line naming the flag and the file, not a TLS handshake error later.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { ErrorCode, RkeToolsError } from "../errors.ts";

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate block in `pem`, each parsed (throws naming `what` when one is not X.509). */
export function parseCertificates(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) throw new RkeToolsError(ErrorCode.Tls, `${what} holds no PEM certificate`);
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (e) {
      throw new RkeToolsError(ErrorCode.Tls, `${what}: certificate ${i + 1} is not valid X.509`, { cause: e });
    }
  });
}

export function readPemFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "is a directory" : (e as Error).message;
    throw new RkeToolsError(ErrorCode.Tls, `Cannot read ${what} ${path}: ${why}`, { cause: e });
  }
}

export function validatePrivateKey(pem: string, what: string): void {
  try {
    createPrivateKey(pem);
  } catch (e) {
    throw new RkeToolsError(ErrorCode.Tls, `${what} is not a valid PEM private key`, { cause: e });
  }
}

export interface TlsFiles {
  /** CA bundle (PEM, possibly several certificates). */
  ca: string;
  cert: string;
  key: string;
}

/**
 * Reads and validates the three etcd TLS flags. `flags` maps the flag names to paths so that
 * error lines name the flag the operator gave (`--cacert`, `--cert`, `--key`).
 */
export function loadTlsFiles(paths: { cacert: string; cert: string; key: string }): TlsFiles {
  const ca = readPemFile(paths.cacert, "--cacert");
  parseCertificates(ca, `--cacert ${paths.cacert}`);
  const cert = readPemFile(paths.cert, "--cert");
  parseCertificates(cert, `--cert ${paths.cert}`);
  const key = readPemFile(paths.key, "--key");
  validatePrivateKey(key, `--key ${paths.key}`);
  return { ca, cert, key };
}
