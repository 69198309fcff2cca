/**
 * `--s3-endpoint-ca`: base64 of a PEM bundle, else a file path (the original's rule). The first PEM
 * block must be an X.509 certificate (the original's check and error text); every certificate in
 * the bundle is trusted, for S3 traffic only, in addition to the system roots.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { ErrorCode, RkeToolsError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { decodeStdBase64 } from "./base64.ts";

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const ANY_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/;

export function loadEndpointCa(value: string, log?: Logger): string[] {
  let pem: string;
  const decoded = decodeStdBase64(value);
  if (decoded !== undefined) {
    log?.debug("reading s3-endpoint-ca as a base64 string");
    pem = Buffer.from(decoded).toString("utf8");
  } else {
    log?.debug(`reading s3-endpoint-ca from [${value}]`);
    try {
      pem = readFileSync(value, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (e as Error).message;
      throw new RkeToolsError(ErrorCode.InvalidInput, `--s3-endpoint-ca is neither base64 nor a readable file: ${value}: ${why}`, { cause: e });
    }
  }
  const first = ANY_BLOCK.exec(pem);
  const invalid = new RkeToolsError(ErrorCode.Tls, "s3-endpoint-ca is not a valid x509 certificate");
  if (!first || first[1] !== "CERTIFICATE") throw invalid;
  const certs: string[] = [];
  for (const block of pem.match(CERT_BLOCK) ?? []) {
    try {
      new X509Certificate(block);
      certs.push(block);
    } catch (e) {
      if (certs.length === 0) throw new RkeToolsError(ErrorCode.Tls, invalid.message, { cause: e });
      // Later blocks that do not parse are skipped, as Go's AppendCertsFromPEM does.
    }
  }
  return certs;
}
