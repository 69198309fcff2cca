import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "../../src/log/logger.ts";
import { retryPolicy } from "../../src/retry/policy.ts";
import { ec2Hostname, fqdnHostname } from "../../src/tools/entrypoint/aws.ts";
import { ImdsServer } from "../support/imds.ts";

let imds: ImdsServer | undefined;
afterEach(async () => {
  await imds?.stop();
  imds = undefined;
});

describe("EC2 hostname through instance metadata", () => {
  test("IMDSv2: a session token with TTL 60, then the hostname with that token", async () => {
    imds = new ImdsServer({ hostname: "ip-10-1-2-3.eu-west-1.compute.internal", mode: "v2" });
    expect(await ec2Hostname(imds.url)).toBe("ip-10-1-2-3.eu-west-1.compute.internal");
    expect(imds.trail()).toEqual(["PUT /latest/api/token 60 none", "GET /latest/meta-data/hostname - valid"]);
  });

  test("an IMDS without the token endpoint (IMDSv1) is asked without one", async () => {
    imds = new ImdsServer({ hostname: "ip-10-0-0-9.ec2.internal", mode: "v1" });
    expect(await ec2Hostname(imds.url)).toBe("ip-10-0-0-9.ec2.internal");
    expect(imds.trail()).toEqual(["PUT /latest/api/token 60 none", "GET /latest/meta-data/hostname - none"]);
  });

  test("a failing service is retried, then reported", async () => {
    imds = new ImdsServer({ hostname: "x", mode: "unavailable" });
    const err = await ec2Hostname(imds.url, { retry: retryPolicy({ attempts: 2, delayMs: 1, retryOn: () => true }) }).catch((e: unknown) => e);
    expect((err as Error).message).toBe("EC2 metadata service answered HTTP 503 for /latest/api/token");
    expect(imds.hits).toHaveLength(2);
  });

  test("nothing listening: fails without retrying", async () => {
    const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const url = `http://127.0.0.1:${s.port}`;
    await s.stop(true);
    const err = await ec2Hostname(url).catch((e: unknown) => e);
    expect((err as Error).message).toStartWith("Cannot reach the EC2 metadata service");
  });

  test("an answer of 50 MiB, or one that is no host name, is refused (issue 19, item 15)", async () => {
    imds = new ImdsServer({ hostname: "a".repeat(50 << 20) });
    const big = await ec2Hostname(imds.url).catch((e: unknown) => e);
    expect((big as Error).message).toBe("EC2 metadata service answered /latest/meta-data/hostname with more than 4096 bytes");
    for (const bad of ["ip-10-0-0-1.ec2.internal extra.example", "$(reboot)", "x".repeat(64) + ".internal", "-lead.internal", "a..b"]) {
      await imds.stop();
      imds = new ImdsServer({ hostname: bad });
      const e = await ec2Hostname(imds.url).catch((err: unknown) => err);
      expect((e as Error).message).toStartWith("EC2 metadata service returned a hostname that is not a host name: ");
    }
  });

  test("the service is asked directly, never through HTTP_PROXY (a proxy would answer for its own instance)", async () => {
    imds = new ImdsServer({ hostname: "ip-10-0-0-7.ec2.internal", mode: "v2" });
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
    process.env.HTTP_PROXY = "http://127.0.0.1:9"; // nothing listens there
    delete process.env.NO_PROXY;
    delete process.env.no_proxy;
    try {
      expect(await ec2Hostname(imds.url)).toBe("ip-10-0-0-7.ec2.internal");
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  test("the session token never reaches a log line", async () => {
    imds = new ImdsServer({ hostname: "h.internal", mode: "v2" });
    const lines: string[] = [];
    const log = Logger.create({ level: "trace", sink: (l) => lines.push(l) });
    await ec2Hostname(imds.url, { log });
    log.info(`token was ${imds.tokens[0]}`);
    expect(lines.join("")).not.toContain(imds.tokens[0]!);
  });
});

describe("hostname -f equivalent", () => {
  const dir = mkdtempSync(join(tmpdir(), "hosts-"));
  const hosts = join(dir, "hosts");
  afterEach(() => rmSync(hosts, { force: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ["127.0.0.1 localhost\n10.0.0.1 node1.example.com node1 # comment\n", "node1", "node1.example.com"],
    ["127.0.0.1 localhost\n", "node1", "node1"],
    ["# 10.0.0.1 other.example.com node1\n", "node1", "node1"],
    ["10.0.0.1 node1.example.com\n", "node1.example.com", "node1.example.com"],
  ])("%j for %s → %s", async (content, nodename, expected) => {
    writeFileSync(hosts, content);
    expect(await fqdnHostname(hosts, nodename)).toBe(expected);
  });

  test("no hosts file: the kernel's name", async () => {
    expect(await fqdnHostname(join(dir, "missing"), "n9")).toBe("n9");
  });
});
