import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createS3Client } from "../../src/s3/client.ts";
import { s3ConfigFromFlags } from "../../src/tools/etcd-backup/s3-flags.ts";
import { RefreshingCredentials } from "../../src/s3/credentials/chain.ts";
import { fetchImdsCredentials } from "../../src/s3/credentials/imds.ts";
import type { Env } from "../../src/s3/credentials/types.ts";
import { describeWith } from "../support/components.ts";
import { EcsServer, ImdsServer, StsServer } from "../support/imds.ts";
import { captureLog, createBucket, gateway, gatewayFlags, removeBucket, s3Gateway } from "../support/s3.ts";

// Real network transfers on a shared 2-core machine: generous limits (nothing here asserts on time).
setDefaultTimeout(60_000);

describeWith([s3Gateway], "IAM credentials from local metadata servers", () => {
  let bucket: string;
  const dir = mkdtempSync(join(tmpdir(), "s3-iam-"));
  const issued = () => ({ accessKeyId: gateway().accessKey, secretAccessKey: gateway().secretKey });
  const noKeys = () => gatewayFlags(bucket, { "s3-accessKey": "", "s3-secretKey": "" });
  // Nothing from the real machine's AWS settings may leak in.
  const base: Env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://127.0.0.1:9" };

  beforeAll(() => {
    bucket = createBucket();
  });
  afterAll(() => {
    removeBucket(bucket);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  test("IMDSv2: token PUT, role GET and credentials GET carry the token; the secret is never logged", async () => {
    const imds = new ImdsServer({ credentials: issued(), mode: "v2" });
    try {
      const { log, lines } = captureLog();
      const env = { ...base, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url };
      const client = await createS3Client(s3ConfigFromFlags(noKeys(), env, { log }), { log });
      expect(await client.bucketExists()).toBe(true);
      expect(imds.hits.map((h) => `${h.method} ${h.path}`)).toEqual([
        "PUT /latest/api/token",
        "GET /latest/meta-data/iam/security-credentials/",
        `GET /latest/meta-data/iam/security-credentials/${imds.role}`,
      ]);
      const token = imds.hits[1]!.headers["x-aws-ec2-metadata-token"];
      expect(token).toStartWith("tok-");
      expect(imds.hits[2]!.headers["x-aws-ec2-metadata-token"]).toBe(token!);
      expect(lines.join("")).toContain("invoking set s3 service client use IAM role");
      expect(lines.join("")).not.toContain(gateway().secretKey);
    } finally {
      await imds.stop();
    }
  });

  test("IMDSv1 when the token PUT is refused", async () => {
    const imds = new ImdsServer({ credentials: issued(), mode: "v1", tokenRefusal: 405 });
    try {
      const creds = await fetchImdsCredentials({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url });
      expect(creds.version).toBe(1);
      expect(creds.accessKeyId).toBe(gateway().accessKey);
      expect(imds.hits.slice(1).every((h) => h.headers["x-aws-ec2-metadata-token"] === undefined)).toBe(true);
    } finally {
      await imds.stop();
    }
  });

  test("credentials are fetched again before they expire, not on every request", async () => {
    const imds = new ImdsServer({ credentials: { ...issued(), expiration: () => new Date(Date.parse("2030-01-01T00:10:00Z")) }, mode: "v2" });
    try {
      let now = Date.parse("2030-01-01T00:00:00Z");
      const src = new RefreshingCredentials(
        "imds",
        (s) => fetchImdsCredentials({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url }, s),
        undefined,
        () => now,
      );
      await Promise.all([src.get(), src.get(), src.get()]); // concurrent callers share one fetch
      expect(imds.hits.length).toBe(3);
      now += 4 * 60_000; // 6 minutes left: still good
      await src.get();
      expect(imds.hits.length).toBe(3);
      now += 2 * 60_000; // 4 minutes left: inside the 5-minute margin
      await src.get();
      expect(imds.hits.length).toBe(6);
      // The metadata service goes away: the current credentials serve until they expire, then it fails.
      await imds.stop();
      now += 60_000;
      expect((await src.get()).accessKeyId).toBe(gateway().accessKey);
      now += 10 * 60_000;
      expect(
        await src.get().then(
          () => "ok",
          (e) => e.message,
        ),
      ).toMatch(/EC2 instance metadata .* could not be reached/);
    } finally {
      await imds.stop();
    }
  });

  test("ECS container credentials (FULL_URI with an authorization token file)", async () => {
    const ecs = new EcsServer(issued(), "Bearer ecs-secret-token");
    try {
      const tokenFile = join(dir, "ecs-token");
      writeFileSync(tokenFile, "Bearer ecs-secret-token\n");
      const env = { ...base, AWS_CONTAINER_CREDENTIALS_FULL_URI: ecs.fullUri, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile };
      const client = await createS3Client(s3ConfigFromFlags(noKeys(), env));
      expect(await client.bucketExists()).toBe(true);
      expect(ecs.hits).toHaveLength(1);
    } finally {
      await ecs.stop();
    }
  });

  describe("web identity", () => {
    let sts: StsServer;
    const tokenFile = join(dir, "web-token");
    beforeAll(() => {
      sts = new StsServer(issued(), "arn:aws:iam::123456789012:role/rke-snapshots", "eyJ.web.token");
      writeFileSync(tokenFile, "eyJ.web.token\n");
    });
    afterAll(() => sts.stop(), 120_000);
    const env = (role: string) => ({ ...base, AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: role, AWS_ENDPOINT_URL_STS: sts.url });

    test("AssumeRoleWithWebIdentity through STS", async () => {
      const client = await createS3Client(s3ConfigFromFlags(noKeys(), env(sts.roleArn)));
      expect(await client.bucketExists()).toBe(true);
      const form = new URLSearchParams(sts.hits[0]!.body);
      expect(form.get("Action")).toBe("AssumeRoleWithWebIdentity");
      expect(form.get("WebIdentityToken")).toBe("eyJ.web.token");
    });

    test("a refused role is one line with STS's code", async () => {
      const err = await createS3Client(s3ConfigFromFlags(noKeys(), env("arn:aws:iam::1:role/other"))).catch((e) => e);
      expect(err.message).toMatch(/^failed to set s3 server: failed to check s3 bucket:.*STS AssumeRoleWithWebIdentity failed: HTTP 403 AccessDenied/);
    });
  });

  test("no metadata service reachable: a clear error, no hang", async () => {
    const err = await createS3Client(s3ConfigFromFlags(noKeys(), base)).catch((e) => e);
    expect(err.message).toMatch(/^failed to set s3 server: failed to check s3 bucket:.*EC2 instance metadata at http:\/\/127\.0\.0\.1:9.* could not be reached/);
  });
});
