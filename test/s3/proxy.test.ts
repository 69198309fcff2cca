import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createS3Client } from "../../src/s3/client.ts";
import { s3ConfigFromFlags } from "../../src/s3/config.ts";
import { describeWith } from "../support/components.ts";
import { ConnectProxy } from "../support/fault-proxy.ts";
import { createBucket, gateway, gatewayFlags, removeBucket, s3Gateway } from "../support/s3.ts";

// Real network transfers on a shared 2-core machine: generous limits (nothing here asserts on time).
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

describeWith([s3Gateway], "S3 traffic honours HTTP(S)_PROXY and NO_PROXY", () => {
  let proxy: ConnectProxy;
  let bucket: string;
  beforeAll(async () => {
    proxy = await ConnectProxy.start();
    bucket = createBucket();
  });
  afterAll(async () => {
    await proxy.close();
    removeBucket(bucket);
  }, 120_000);
  const check = async () => (await createS3Client(s3ConfigFromFlags(gatewayFlags(bucket), {}))).bucketExists();

  for (const name of ["HTTPS_PROXY", "https_proxy"]) {
    test(`${name} tunnels the HTTPS requests through the proxy (the endpoint CA still applies)`, async () => {
      proxy.targets.length = 0;
      expect(await withEnv({ [name]: proxy.url }, check)).toBe(true);
      expect(proxy.targets).toContain(gateway().endpoint);
    });
  }

  for (const name of ["NO_PROXY", "no_proxy"]) {
    test(`${name} naming the endpoint bypasses the proxy`, async () => {
      proxy.targets.length = 0;
      expect(await withEnv({ HTTPS_PROXY: proxy.url, [name]: "localhost,127.0.0.1" }, check)).toBe(true);
      expect(proxy.targets).toEqual([]);
    });
  }
});
