import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadTlsFiles } from "../../src/tls/pem.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { makePki } from "../support/pki.ts";

describeWith([hasCommand("openssl", "apt-get install openssl")], "TLS flag files", () => {
  test("loads a CA, certificate and key", () => {
    const pki = makePki();
    const t = loadTlsFiles({ cacert: pki.ca, cert: pki.server.cert, key: pki.server.key });
    expect(t.ca).toContain("BEGIN CERTIFICATE");
    expect(t.key).toContain("PRIVATE KEY");
  });

  test("one clear line naming the flag and file", () => {
    const pki = makePki();
    const garbage = join(pki.dir, "garbage.pem");
    writeFileSync(garbage, "not a pem\n");
    expect(() => loadTlsFiles({ cacert: "/nope/ca.pem", cert: pki.server.cert, key: pki.server.key })).toThrow("Cannot read --cacert /nope/ca.pem: no such file");
    expect(() => loadTlsFiles({ cacert: garbage, cert: pki.server.cert, key: pki.server.key })).toThrow(`--cacert ${garbage} holds no PEM certificate`);
    expect(() => loadTlsFiles({ cacert: pki.ca, cert: pki.server.cert, key: garbage })).toThrow(`--key ${garbage} is not a valid PEM private key`);
  });
});
