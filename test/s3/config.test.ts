import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "../../src/log/logger.ts";
import { addressingFor, encodeKey, objectUrl, regionalHost } from "../../src/s3/addressing.ts";
import { decodeIfBase64, decodeStdBase64 } from "../../src/s3/base64.ts";
import { s3ConfigFromFlags, type S3Flags } from "../../src/tools/etcd-backup/s3-flags.ts";
import { makePki } from "../support/pki.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const flags = (over: Partial<S3Flags> = {}): S3Flags => ({
  "s3-endpoint": "minio.example:9000",
  "s3-accessKey": b64("AKIAEXAMPLE"),
  "s3-secretKey": b64("secret/with+chars"),
  "s3-bucketName": "snaps",
  "s3-region": "",
  "s3-endpoint-ca": "",
  "s3-folder": "",
  ...over,
});

describe("base64 key rule (original: decode when valid standard base64)", () => {
  test("decodes padded standard base64 of a printable key", () => {
    expect(decodeIfBase64(b64("AKIAIOSFODNN7EXAMPLE"))).toBe("AKIAIOSFODNN7EXAMPLE");
    expect(decodeIfBase64("UzNSVkVS")).toBe("S3RVER"); // the original's measured example
  });
  test("CR/LF inside the value are ignored, as Go's decoder does", () => {
    expect(decodeIfBase64("UzNS\r\nVkVS")).toBe("S3RVER");
  });
  test("missing padding, URL alphabet and odd lengths are used as given", () => {
    expect(decodeIfBase64("UzNSVkVSMQ")).toBe("UzNSVkVSMQ");
    expect(decodeIfBase64("ab-_cd==")).toBe("ab-_cd==");
    expect(decodeIfBase64("localS3TestSecretKey0000000000000000000000")).toBe("localS3TestSecretKey0000000000000000000000");
    expect(decodeStdBase64("abc=d===")).toBeUndefined();
  });
  test("a plain key that is valid base64 but decodes to binary is used as given (rancher#33835)", () => {
    expect(decodeStdBase64("LOCALS3TESTACCESSKEY")).toBeDefined();
    expect(decodeIfBase64("LOCALS3TESTACCESSKEY")).toBe("LOCALS3TESTACCESSKEY");
  });
});

describe("s3ConfigFromFlags", () => {
  test("decodes keys, registers raw and decoded as secrets", () => {
    const lines: string[] = [];
    const log = Logger.create({ sink: (l) => lines.push(l) });
    const c = s3ConfigFromFlags(flags(), {}, { log });
    expect(c.accessKey).toBe("AKIAEXAMPLE");
    expect(c.secretKey).toBe("secret/with+chars");
    expect(c.scheme).toBe("https");
    log.info(`leak ${c.secretKey} ${c.rawSecretKey} ${c.accessKey}`);
    expect(lines.join("")).not.toContain("secret/with+chars");
    expect(lines.join("")).not.toContain(b64("secret/with+chars"));
    expect(lines.join("")).not.toContain("AKIAEXAMPLE");
  });
  test("no keys means IAM, and the endpoint defaults to AWS", () => {
    const c = s3ConfigFromFlags(flags({ "s3-endpoint": "", "s3-accessKey": "", "s3-secretKey": "" }), {});
    expect(c.endpoint).toBe("s3.amazonaws.com");
    expect(c.accessKey).toBe("");
  });
  test("endpoint with a scheme or path is refused with minio-go's words", () => {
    expect(() => s3ConfigFromFlags(flags({ "s3-endpoint": "https://minio:9000" }), {})).toThrow(/--s3-endpoint .*Endpoint url cannot have fully qualified paths/);
    expect(() => s3ConfigFromFlags(flags({ "s3-endpoint": "minio:9000/x" }), {})).toThrow(/fully qualified/);
    expect(() => s3ConfigFromFlags(flags({ "s3-endpoint": "minio:99999" }), {})).toThrow(/port out of range/);
    expect(() => s3ConfigFromFlags(flags({ "s3-endpoint": "" }), {})).toThrow(/--s3-endpoint/);
  });
  test("one key without the other, or no bucket, is one clear line", () => {
    expect(() => s3ConfigFromFlags(flags({ "s3-secretKey": "" }), {})).toThrow(/--s3-accessKey and --s3-secretKey must be given together/);
    expect(() => s3ConfigFromFlags(flags({ "s3-bucketName": "" }), {})).toThrow("--s3-bucketName is empty");
  });
  test("--s3-plain-http switches the scheme", () => {
    expect(s3ConfigFromFlags(flags({ "s3-plain-http": true }), {}).scheme).toBe("http");
  });
  test("endpoint CA as base64 PEM or as a file, validated as X.509", () => {
    const pki = makePki();
    const pem = readFileSync(pki.ca, "utf8");
    expect(s3ConfigFromFlags(flags({ "s3-endpoint-ca": b64(pem) }), {}).caCerts).toHaveLength(1);
    expect(s3ConfigFromFlags(flags({ "s3-endpoint-ca": b64(pem.trimEnd()) }), {}).caCerts).toHaveLength(1); // no trailing newline (rke#1628)
    expect(s3ConfigFromFlags(flags({ "s3-endpoint-ca": pki.ca }), {}).caCerts).toHaveLength(1);
    const bundleDir = mkdtempSync(join(tmpdir(), "s3ca-"));
    const bundle = join(bundleDir, "bundle.pem");
    writeFileSync(bundle, pem + readFileSync(pki.foreignCa, "utf8"));
    try {
      expect(s3ConfigFromFlags(flags({ "s3-endpoint-ca": bundle }), {}).caCerts).toHaveLength(2);
    } finally {
      rmSync(bundleDir, { recursive: true, force: true });
    }
    expect(() => s3ConfigFromFlags(flags({ "s3-endpoint-ca": b64("not a pem") }), {})).toThrow("s3-endpoint-ca is not a valid x509 certificate");
    expect(() => s3ConfigFromFlags(flags({ "s3-endpoint-ca": b64(readFileSync(pki.server.key, "utf8")) }), {})).toThrow("s3-endpoint-ca is not a valid x509 certificate");
    const broken = pem.replace(/\n[A-Za-z0-9+/]{10}/, "\nAAAAAAAAAA");
    expect(() => s3ConfigFromFlags(flags({ "s3-endpoint-ca": b64(broken) }), {})).toThrow("s3-endpoint-ca is not a valid x509 certificate");
    expect(() => s3ConfigFromFlags(flags({ "s3-endpoint-ca": "/nonexistent/ca.pem" }), {})).toThrow(/--s3-endpoint-ca .*no such file/);
  });
});

describe("addressing (minio-go auto lookup)", () => {
  test("virtual-host for AWS, GCS and Aliyun; path for others and dotted buckets", () => {
    for (const h of [
      "s3.amazonaws.com",
      "s3.eu-west-1.amazonaws.com",
      "s3-us-gov-west-1.amazonaws.com",
      "s3.cn-north-1.amazonaws.com.cn",
      "s3.dualstack.us-east-1.amazonaws.com",
      "storage.googleapis.com",
      "oss-cn-hangzhou.aliyuncs.com",
    ]) {
      expect(`${h}: ${addressingFor(h, "snaps", true)}`).toBe(`${h}: virtual-host`);
    }
    expect(addressingFor("127.0.0.1:7443", "snaps", true)).toBe("path");
    expect(addressingFor("minio.corp:9000", "snaps", true)).toBe("path");
    expect(addressingFor("s3.amazonaws.com", "my.dotted.bucket", true)).toBe("path");
    expect(addressingFor("my-aliyun-gateway:443", "my.bucket", true)).toBe("virtual-host"); // "aliyun" forces it
  });
  test("URLs and key encoding", () => {
    expect(objectUrl({ scheme: "https", host: "s3.amazonaws.com", bucket: "b", addressing: "virtual-host" }, "f/2024-01-01T00:00:00Z_etcd.zip").toString()).toBe(
      "https://b.s3.amazonaws.com/f/2024-01-01T00%3A00%3A00Z_etcd.zip",
    );
    expect(objectUrl({ scheme: "https", host: "127.0.0.1:7443", bucket: "b", addressing: "path" }, undefined, { location: "" }).toString()).toBe(
      "https://127.0.0.1:7443/b/?location=",
    );
    expect(encodeKey("a b+c(1)!")).toBe("a%20b%2Bc%281%29%21");
    expect(regionalHost("s3.amazonaws.com", "eu-west-1")).toBe("s3.eu-west-1.amazonaws.com");
    expect(regionalHost("s3.amazonaws.com", "us-east-1")).toBe("s3.amazonaws.com");
    expect(regionalHost("minio:9000", "eu-west-1")).toBe("minio:9000");
  });
});
