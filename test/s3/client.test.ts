import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { ErrorCode, isRkeToolsError } from "../../src/errors.ts";
import { createS3Client } from "../../src/s3/client.ts";
import { s3ConfigFromFlags } from "../../src/tools/etcd-backup/s3-flags.ts";
import { describeWith } from "../support/components.ts";
import { captureLog, createBucket, gateway, gatewayFlags, removeBucket, s3Gateway, s3curl } from "../support/s3.ts";

// Real network transfers on a shared 2-core machine: generous limits (nothing here asserts on time).
setDefaultTimeout(60_000);

describeWith([s3Gateway], "S3 client against the gateway", () => {
  let bucket: string;
  beforeAll(() => {
    bucket = createBucket();
  });
  afterAll(() => removeBucket(bucket), 120_000);

  test("the endpoint CA option is what makes TLS work, for S3 traffic only", async () => {
    for (const v of ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "AWS_CA_BUNDLE"]) expect(`${v}=${process.env[v] ?? ""}`).not.toContain(gateway().caFile);
    const { log, lines } = captureLog();
    const client = await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket), {}, { log }), { log });
    expect(await client.bucketExists()).toBe(true);
    expect(client.region).not.toBe(""); // discovered with GetBucketLocation
    expect(lines.join("")).toContain('msg="invoking set s3 service client"');
    // The CA is not trusted process-wide:
    const plain = await fetch(gateway().url + "/").then(
      () => "accepted",
      (e) => String((e as { code?: string }).code),
    );
    expect(plain).not.toBe("accepted");
  });

  test("without the CA the handshake fails with a TLS error", async () => {
    const err = await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket, { "s3-endpoint-ca": "" }), {})).catch((e) => e);
    expect(isRkeToolsError(err, ErrorCode.Tls)).toBe(true);
    expect(err.message).toStartWith(`failed to set s3 server: failed to check s3 bucket:${bucket}, err:`);
  });

  test("a given region skips discovery", async () => {
    const client = await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket, { "s3-region": "us-east-1" }), {}));
    expect(client.region).toBe("us-east-1");
  });

  test("a missing bucket: the original's text", async () => {
    for (const region of ["", "us-east-1"]) {
      const err = await createS3Client(s3ConfigFromFlags(gatewayFlags("no-such-bucket-here", { "s3-region": region }), {})).catch((e) => e);
      expect(err.message).toBe("failed to set s3 server: bucket no-such-bucket-here is not found");
    }
  });

  test("an unknown access key, and a wrong secret with --s3-region: the texts docs/s3.md gives", async () => {
    const unknown = Buffer.from("NOSUCHACCESSKEY00000").toString("base64");
    const e1 = await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket, { "s3-accessKey": unknown }), {})).catch((e) => e);
    expect(e1.message).toBe(`failed to set s3 server: failed to check s3 bucket:${bucket}, err:InvalidAccessKeyId: the server does not know this access key; check --s3-accessKey`);
    const wrong = Buffer.from("wrong-secret-value-123").toString("base64");
    const e2 = await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket, { "s3-secretKey": wrong, "s3-region": "us-east-1" }), {})).catch((e) => e);
    expect(e2.message).toBe(`failed to set s3 server: failed to check s3 bucket:${bucket}, err:Access Denied.`);
  });

  test("a wrong secret: 403, the original's text, and no key in any log line", async () => {
    const { log, lines } = captureLog();
    const wrong = Buffer.from("wrong-secret-value-123").toString("base64");
    const err = await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket, { "s3-secretKey": wrong }), {}, { log }), { log }).catch((e) => e);
    // Against Ceph RGW (issue 19.20): without a region the first request (GetBucketLocation) gets
    // a 403 body with a code and no message; with one, the bucket check is a HEAD (no body).
    expect(err.message).toBe(
      `failed to set s3 server: failed to check s3 bucket:${bucket}, err:SignatureDoesNotMatch: the request's signature does not match; check --s3-secretKey`,
    );
    const text = lines.join("");
    expect(text).toContain('s3-accessKey="[REDACTED]"');
    for (const secret of [gateway().accessKey, gateway().secretKey, "wrong-secret-value-123", wrong]) expect(text).not.toContain(secret);
  });

  test("plain (not base64) keys work as given", async () => {
    const g = gateway();
    const client = await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket, { "s3-accessKey": g.accessKey, "s3-secretKey": g.secretKey }), {}));
    expect(await client.bucketExists()).toBe(true);
  });

  test("--s3-plain-http talks HTTP to the gateway's plain port", async () => {
    const client = await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket, { "s3-endpoint": gateway().httpEndpoint, "s3-endpoint-ca": "", "s3-plain-http": true }), {}));
    expect(await client.bucketExists()).toBe(true);
  });

  test("a policy that denies s3:GetBucketLocation: us-east-1, as minio-go, and the bucket check decides", async () => {
    const denied = createBucket();
    try {
      const policy = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: { AWS: ["*"] }, Action: ["s3:GetBucketLocation"], Resource: [`arn:aws:s3:::${denied}`] }] };
      expect(s3curl("PUT", `/${denied}?policy=`, { body: JSON.stringify(policy) }).status).toBe(204);
      expect(s3curl("GET", `/${denied}?location=`).status).toBe(403); // the policy holds
      const client = await createS3Client(s3ConfigFromFlags(gatewayFlags(denied), {}));
      expect(client.region).toBe("us-east-1");
      expect(await client.bucketExists()).toBe(true);
    } finally {
      removeBucket(denied);
    }
  });

  test("HTTPS is always used without the flag: the plain port fails", async () => {
    const err = await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket, { "s3-endpoint": gateway().httpEndpoint }), {})).catch((e) => e);
    expect(err.message).toStartWith(`failed to set s3 server: failed to check s3 bucket:${bucket}, err:`);
  });
});

// AWS itself cannot be reached here: a loopback server answers as AWS does for a bucket in
// eu-west-1 whose policy denies GetBucketLocation (HEAD in another region: 301 + x-amz-bucket-region).
test("GetBucketLocation denied and the bucket elsewhere: the region AWS names is followed", async () => {
  const signedRegions: string[] = [];
  using server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      const region = /Credential=[^/]+\/\d{8}\/([^/]+)\/s3\//.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";
      if (url.searchParams.has("location")) {
        return new Response("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", { status: 403, headers: { "content-type": "application/xml" } });
      }
      if (req.method === "HEAD" && url.pathname.replace(/\/$/, "") === "/far-bucket") {
        signedRegions.push(region);
        return new Response(null, region === "eu-west-1" ? { status: 200 } : { status: 301, headers: { "x-amz-bucket-region": "eu-west-1" } });
      }
      return new Response(null, { status: 404 });
    },
  });
  const flags = {
    "s3-endpoint": `127.0.0.1:${server.port}`,
    "s3-accessKey": "AKIDEXAMPLE",
    "s3-secretKey": "secret",
    "s3-bucketName": "far-bucket",
    "s3-region": "",
    "s3-endpoint-ca": "",
    "s3-folder": "",
    "s3-plain-http": true,
  };
  const client = await createS3Client(s3ConfigFromFlags(flags, {}));
  expect(client.region).toBe("eu-west-1");
  expect(signedRegions).toEqual(["us-east-1", "eu-west-1"]);
});
