import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createS3Client } from "../../src/s3/client.ts";
import { s3ConfigFromFlags } from "../../src/tools/etcd-backup/s3-flags.ts";
import { isLoopback } from "../../src/s3/transport.ts";
import { describeWith } from "../support/components.ts";
import { ConnectProxy, FaultProxy } from "../support/fault-proxy.ts";
import { fetchImdsCredentials } from "../../src/s3/credentials/imds.ts";
import { ImdsServer } from "../support/imds.ts";
import { createBucket, gateway, gatewayFlags, removeBucket, s3Gateway } from "../support/s3.ts";

setDefaultTimeout(60_000);

const NAMES = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"];

/** Bun's fetch reads the proxy variables from the process environment on every request. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));
  for (const n of NAMES) delete process.env[n];
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const n of NAMES) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
  }
}

test("loopback hosts are recognised (never proxied)", () => {
  for (const h of ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"]) expect(`${h} ${isLoopback(h)}`).toBe(`${h} true`);
  for (const h of ["s3.amazonaws.com", "10.0.0.1", "128.0.0.1", "localhost.example"]) expect(`${h} ${isLoopback(h)}`).toBe(`${h} false`);
});

test("instance metadata is reached directly whatever the proxy variables say", async () => {
  const imds = new ImdsServer({ credentials: { accessKeyId: "AKIDIRECT", secretAccessKey: "direct-secret" } });
  try {
    const dead = "http://127.0.0.1:9";
    const creds = await withEnv({ HTTP_PROXY: dead, http_proxy: dead, ALL_PROXY: dead }, () => fetchImdsCredentials({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url }));
    expect(creds.accessKeyId).toBe("AKIDIRECT");
  } finally {
    await imds.stop();
  }
});

describeWith([s3Gateway], "S3 traffic honours HTTP(S)_PROXY and NO_PROXY", () => {
  // The gateway has no DNS name: requests for this name reach it only through the proxy, which
  // relays them to the gateway's plain port (the TLS certificate names only 127.0.0.1/localhost).
  const NAME = "s3.rke-tools-test.invalid";
  let proxy: FaultProxy;
  let bucket: string;
  beforeAll(async () => {
    const [host, port] = gateway().httpEndpoint.split(":");
    proxy = await FaultProxy.start(host!, Number(port));
    bucket = createBucket();
  });
  afterAll(async () => {
    await proxy.close();
    removeBucket(bucket);
  }, 120_000);
  const viaName = async () =>
    (await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket, { "s3-endpoint": `${NAME}:7480`, "s3-endpoint-ca": "", "s3-plain-http": true }), {}))).bucketExists();

  for (const name of ["HTTP_PROXY", "http_proxy"]) {
    test(`${name} carries the requests`, async () => {
      proxy.clear();
      expect(await withEnv({ [name]: `http://127.0.0.1:${proxy.port}` }, viaName)).toBe(true);
      expect(proxy.seen.length).toBeGreaterThan(0);
      expect(proxy.seen.every((r) => r.target.startsWith(`http://${NAME}:7480/${bucket}/`))).toBe(true);
    });
  }

  for (const name of ["NO_PROXY", "no_proxy"]) {
    test(`${name} naming the endpoint's domain bypasses the proxy`, async () => {
      proxy.clear();
      const err = await withEnv({ HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, [name]: ".invalid" }, viaName).catch((e) => e);
      expect(err.message).toStartWith(`failed to set s3 server: failed to check s3 bucket:${bucket}, err:`); // direct: the name does not resolve
      expect(proxy.seen).toEqual([]);
    });
  }

  test("HTTPS_PROXY tunnels with CONNECT, and the certificate is still checked against the endpoint name", async () => {
    const tunnel = await ConnectProxy.start();
    try {
      // A loopback endpoint is never proxied, so name it as the certificate does not: via the
      // tunnel only the proxy resolves. The certificate check then fails inside the tunnel.
      const cfg = s3ConfigFromFlags(gatewayFlags(bucket, { "s3-endpoint": `${NAME}:7443` }), {});
      const err = await withEnv({ HTTPS_PROXY: tunnel.url }, () => createS3Client(cfg)).catch((e) => e);
      expect(tunnel.targets).toEqual([`${NAME}:7443`]);
      expect(err.message).toStartWith("failed to set s3 server:");
      expect(err.code).toBe("E_TLS"); // the gateway's certificate names 127.0.0.1/localhost, not this name
    } finally {
      await tunnel.close();
    }
  });

  test("a loopback endpoint is reached directly even with a proxy set (as Go's ProxyFromEnvironment)", async () => {
    const dead = `http://127.0.0.1:9`; // nothing listens: any proxied request would fail
    const ok = await withEnv({ HTTPS_PROXY: dead, HTTP_PROXY: dead }, async () => (await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket), {}))).bucketExists());
    expect(ok).toBe(true);
  });
});
