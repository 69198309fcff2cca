import { afterEach, expect, test } from "bun:test";
import { ImdsError, openImdsSession } from "../../src/cloud/ec2-imds.ts";
import { ErrorCode, isRkeToolsError } from "../../src/errors.ts";
import { ImdsServer } from "../support/imds.ts";

let imds: ImdsServer | undefined;
afterEach(async () => {
  await imds?.stop();
  imds = undefined;
});

const opts = { tokenTtlSeconds: 600, timeoutMs: 2000 };

test("IMDSv2 session: the token's TTL as asked, then GETs carrying it", async () => {
  imds = new ImdsServer({ hostname: "h.internal", mode: "v2" });
  const s = await openImdsSession(imds.url, opts);
  expect(s.version).toBe(2);
  expect(await s.get("/latest/meta-data/hostname")).toBe("h.internal");
  expect(imds.trail()).toEqual(["PUT /latest/api/token 600 none", "GET /latest/meta-data/hostname - valid"]);
});

test("no token endpoint: IMDSv1, asked without one", async () => {
  imds = new ImdsServer({ hostname: "h.internal", mode: "v1" });
  const s = await openImdsSession(imds.url, opts);
  expect(s.version).toBe(1);
  expect(await s.get("/latest/meta-data/hostname")).toBe("h.internal");
});

test("failures are ImdsErrors callers branch on: reason, status, transient, url", async () => {
  imds = new ImdsServer({ hostname: "h.internal", mode: "unavailable" });
  const e = await openImdsSession(imds.url, opts).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(ImdsError);
  expect(isRkeToolsError(e, ErrorCode.Http)).toBe(true);
  const { reason, status, transient, url } = e as ImdsError;
  expect({ reason, status, transient, url }).toEqual({ reason: "status", status: 503, transient: true, url: `${imds.url}/latest/api/token` });

  await imds.stop();
  imds = new ImdsServer({ hostname: "x".repeat(100), mode: "v2" });
  const big = await (await openImdsSession(imds.url, { ...opts, maxBody: 64 })).get("/latest/meta-data/hostname").catch((err: unknown) => err);
  expect((big as ImdsError).reason).toBe("answer");
  expect((big as ImdsError).message).toBe("EC2 metadata service answered /latest/meta-data/hostname with more than 64 bytes");
});
