import { describe, expect, test } from "bun:test";
import { Logger } from "../../src/log/logger.ts";

function capture() {
  const lines: string[] = [];
  const log = Logger.create({ level: "debug", sink: (l) => lines.push(l) });
  return { log, lines, text: () => lines.join("") };
}

const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAtopsecretbytes\n-----END RSA PRIVATE KEY-----\n";

describe("redaction", () => {
  test("secret field names print [REDACTED] whatever their value", () => {
    const { log, text } = capture();
    log.info("invoking set s3 service client", { "s3-accessKey": "AK-plain", "s3-secretKey": "SK-plain", "s3-bucketName": "b", token: "t0k3n", password: "hunter22" });
    expect(text()).not.toMatch(/AK-plain|SK-plain|t0k3n|hunter22/);
    expect(text()).toContain('s3-accessKey="[REDACTED]"');
    expect(text()).toContain("s3-bucketName=b");
  });

  test("registered secrets are cut out of messages and any field, also via child loggers", () => {
    const { log, text } = capture();
    log.addSecret("wJalrXUtnFEMI/K7MDENG", "tiny".slice(0, 3));
    log.with({ op: "upload" }).error("failed: signature for wJalrXUtnFEMI/K7MDENG mismatched", { detail: { k: "wJalrXUtnFEMI/K7MDENG" } });
    expect(text()).not.toContain("wJalrXUtnFEMI/K7MDENG");
    expect(text()).toContain("[REDACTED]");
    expect(text()).toContain("op=upload");
  });

  test("PEM private keys and AWS key ids are cut out by shape", () => {
    const { log, text } = capture();
    log.warn(`bad input ${PEM}`, { value: PEM, id: "AKIAIOSFODNN7EXAMPLE" });
    expect(text()).not.toContain("MIIEowIBAAKCAQEA");
    expect(text()).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(text()).toContain("[REDACTED PRIVATE KEY]");
  });
});
