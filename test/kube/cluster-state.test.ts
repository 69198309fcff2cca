import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode } from "../../src/errors.ts";
import { CLUSTER_STATE_RETRY, CLUSTER_STATE_TIMEOUT_MS, CONFIGMAP_PATH, SECRET_PATH, fetchClusterState, retryableStatus } from "../../src/kube/cluster-state.ts";
import { Logger } from "../../src/log/logger.ts";
import { retryPolicy } from "../../src/retry/policy.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { kubeconfigPathIn, startKubeApi, writeKubeconfig, type KubeApi } from "../support/kube-api.ts";
import { STATE_JSON, STATE_MARKERS, STATE_PRETTY } from "./fixtures.ts";
import { rejection } from "../support/rejection.ts";

const FAST = retryPolicy({ attempts: 3, delayMs: 0 });

function capture() {
  const lines: string[] = [];
  const log = Logger.create({ level: "debug", sink: (l) => lines.push(l), now: () => new Date(0) });
  return { lines, log: log.with({ name: "2026-11-21T04:42:25Z_etcd" }) };
}

describeWith([hasCommand("openssl", "apt-get install openssl")], "fetchClusterState against a Kubernetes API over mutual TLS", () => {
  let api: KubeApi;
  let dir: string;
  let kubeconfig: string;

  beforeAll(async () => {
    api = await startKubeApi();
    dir = mkdtempSync(join(tmpdir(), "rke-kube-"));
    kubeconfig = writeKubeconfig(kubeconfigPathIn(dir), api);
  });
  afterAll(async () => {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    api.requests.length = 0;
    Object.assign(api.state, {
      secret: null,
      secretRaw: undefined,
      configMap: null,
      secretStatus: undefined,
      configMapStatus: undefined,
      failFirst: undefined,
      hang: undefined,
      raw: undefined,
    });
  });

  test("reads the Secret: base64-decoded, re-indented with two spaces, no trailing newline", async () => {
    api.state.secret = STATE_JSON;
    api.state.configMap = `{"stale":true}`; // the Secret wins
    const { lines, log } = capture();
    const state = await fetchClusterState(kubeconfig, { retry: FAST, log });
    expect(state).toBe(STATE_PRETTY);
    expect(state.endsWith("}")).toBe(true);
    expect(api.requests).toEqual([{ method: "GET", path: SECRET_PATH, accept: "application/json" }]);
    expect(lines).toEqual(['time="1970-01-01T00:00:00Z" level=info msg="Trying to retrieve secret full-cluster-state" attempt=1 name="2026-11-21T04:42:25Z_etcd"\n']);
  });

  test("falls back to the ConfigMap (plain JSON) when there is no Secret", async () => {
    api.state.configMap = STATE_JSON;
    const { lines, log } = capture();
    expect(await fetchClusterState(kubeconfig, { retry: FAST, log })).toBe(STATE_PRETTY);
    expect(api.requests.map((r) => r.path)).toEqual([SECRET_PATH, CONFIGMAP_PATH]);
    expect(lines[1]).toContain('msg="Trying to retrieve configmap full-cluster-state" attempt=1');
  });

  test("falls back to the ConfigMap when reading secrets is forbidden (older RKE lines)", async () => {
    api.state.secretStatus = 403;
    api.state.configMap = STATE_JSON;
    expect(await fetchClusterState(kubeconfig, { retry: FAST })).toBe(STATE_PRETTY);
  });

  test("the Secret's bytes are kept: Go escapes and big numbers survive", async () => {
    const src = `{"desiredState":{"note":"\\u003cnone\\u003e","serial":123456789012345678901}}`;
    api.state.secret = src;
    expect(await fetchClusterState(kubeconfig, { retry: FAST })).toBe(`{\n  "desiredState": {\n    "note": "\\u003cnone\\u003e",\n    "serial": 123456789012345678901\n  }\n}`);
  });

  test("neither Secret nor ConfigMap: one clear error, not retried", async () => {
    const { lines, log } = capture();
    const e = await rejection(fetchClusterState(kubeconfig, { retry: FAST, log }));
    expect(e.message).toBe("Cannot fetch cluster state: secret and configmap full-cluster-state not found in namespace kube-system");
    expect(e.code).toBe(ErrorCode.Http);
    expect(api.requests.length).toBe(2); // one attempt: the answer cannot change by asking again
    expect(lines.at(-1)).toContain('level=warning msg="Failed to retrieve secret full-cluster-state" attempt=1 err="secret and configmap');
  });

  test("bad base64 in the Secret: clear error, not retried", async () => {
    api.state.secretRaw = "this is !!! not base64";
    const e = await rejection(fetchClusterState(kubeconfig, { retry: FAST }));
    expect(e.message).toBe("Cannot fetch cluster state: secret full-cluster-state data.full-cluster-state is not valid base64 of UTF-8 text");
    expect(api.requests.length).toBe(1);
  });

  test("bad JSON: clear error that quotes nothing of the state", async () => {
    api.state.secret = `{"desiredState": statekeymaterial`;
    const { lines, log } = capture();
    const e = await rejection(fetchClusterState(kubeconfig, { retry: FAST, log }));
    expect(e.message).toBe("Cannot fetch cluster state: secret full-cluster-state data.full-cluster-state is not valid JSON");
    for (const m of STATE_MARKERS) expect(lines.join("")).not.toContain(m);
    api.state.secret = null;
    api.state.configMap = `[1,2]`;
    const e2 = await rejection(fetchClusterState(kubeconfig, { retry: FAST }));
    expect(e2.message).toBe("Cannot fetch cluster state: configmap full-cluster-state data.full-cluster-state is not a JSON object");
  });

  test("a Secret without the data key is an error, not an empty state", async () => {
    api.state.secretRaw = "";
    const e = await rejection(fetchClusterState(kubeconfig, { retry: FAST }));
    expect(e.message).toBe("Cannot fetch cluster state: secret full-cluster-state has no data.full-cluster-state");
  });

  test("transient 500s are retried, each failure is a warning, then success", async () => {
    api.state.secret = STATE_JSON;
    api.state.failFirst = { count: 2, code: 500 };
    const { lines, log } = capture();
    expect(await fetchClusterState(kubeconfig, { retry: retryPolicy({ attempts: 5, delayMs: 1 }), log })).toBe(STATE_PRETTY);
    expect(api.requests.length).toBe(3);
    const warnings = lines.filter((l) => l.includes("level=warning"));
    expect(warnings.length).toBe(2);
    expect(warnings[0]).toContain(
      'msg="Failed to retrieve secret full-cluster-state" attempt=1 err="secret full-cluster-state: HTTP 500: Internal error occurred: etcdserver: request timed out"',
    );
    expect(warnings[1]).toContain("attempt=2");
    expect(lines.filter((l) => l.includes("Trying to retrieve secret")).length).toBe(3);
    for (const m of STATE_MARKERS) expect(lines.join("")).not.toContain(m);
  });

  test("gives up after the policy's attempts with the server's message", async () => {
    api.state.failFirst = { count: 100, code: 503 };
    const e = await rejection(fetchClusterState(kubeconfig, { retry: FAST }));
    expect(e.message).toBe("Cannot fetch cluster state: secret full-cluster-state: HTTP 503: the server is currently unable to handle the request");
    expect(api.requests.length).toBe(3);
  });

  // Issue 19.18: only transport errors, 5xx and 429 are retried; the original retried none of these answers.
  test("403 on both Secret and ConfigMap is not retried: the same answer next time", async () => {
    api.state.secretStatus = 403;
    api.state.configMapStatus = 403;
    const e = await rejection(fetchClusterState(kubeconfig, { retry: retryPolicy({ attempts: 2, delayMs: 0 }) }));
    expect(e.message).toContain('secret full-cluster-state: HTTP 403: secrets "full-cluster-state" is forbidden: User "system:node"');
    expect(e.message).toContain("; configmap full-cluster-state: HTTP 403");
    expect(api.requests.length).toBe(2);
  });

  test("something other than the API server answering: a 5xx page is retried, a 200 that is not JSON is not", async () => {
    api.state.raw = { status: 502, body: "<html>\n<head><title>502 Bad Gateway</title></head>\n</html>\n", contentType: "text/html" };
    const e = await rejection(fetchClusterState(kubeconfig, { retry: retryPolicy({ attempts: 2, delayMs: 0 }) }));
    expect(e.message).toBe("Cannot fetch cluster state: secret full-cluster-state: HTTP 502: 502 Bad Gateway");
    expect(api.requests.length).toBe(2);
    api.state.raw = { status: 200, body: "hello", contentType: "text/plain" };
    const e2 = await rejection(fetchClusterState(kubeconfig, { retry: retryPolicy({ attempts: 2, delayMs: 0 }) }));
    expect(e2.message).toBe(`Cannot fetch cluster state: GET ${api.url}${SECRET_PATH}: HTTP 200 answer is not JSON`);
    expect(api.requests.length).toBe(3); // one more: not retried
  });

  test("which statuses are worth another attempt", () => {
    expect([500, 502, 503, 504, 429].map(retryableStatus)).toEqual([true, true, true, true, true]);
    expect([400, 401, 403, 404, 409, 301].map(retryableStatus)).toEqual([false, false, false, false, false, false]);
  });

  test("a server that never answers hits the per-request timeout, then is retried", async () => {
    api.state.hang = "headers";
    const e = await rejection(fetchClusterState(kubeconfig, { retry: retryPolicy({ attempts: 2, delayMs: 0 }), timeoutMs: 250 }));
    expect(e.message).toBe(`Cannot fetch cluster state: GET ${api.url}${SECRET_PATH}: no answer within 250ms`);
    expect(e.code).toBe(ErrorCode.Http);
    expect(api.requests.length).toBe(2);
  });

  test("a body that stalls half-way hits the same timeout", async () => {
    api.state.secret = STATE_JSON;
    api.state.hang = "body";
    const e = await rejection(fetchClusterState(kubeconfig, { retry: retryPolicy({ attempts: 1 }), timeoutMs: 250 }));
    expect(e.message).toBe(`Cannot fetch cluster state: GET ${api.url}${SECRET_PATH}: no answer within 250ms`);
  });

  test("the caller's signal aborts at once, without warnings or further attempts", async () => {
    api.state.hang = "headers";
    const ac = new AbortController();
    const { lines, log } = capture();
    const p = fetchClusterState(kubeconfig, { retry: CLUSTER_STATE_RETRY, log, signal: ac.signal });
    await api.waitForRequests(1);
    ac.abort(new Error("SIGTERM"));
    const e = await rejection(p);
    expect(e.code).toBe(ErrorCode.Aborted);
    expect(e.message).toBe("Cannot fetch cluster state: Operation aborted: SIGTERM");
    expect(lines.filter((l) => l.includes("level=warning"))).toEqual([]);
    expect(api.requests.length).toBe(1);
  });

  test("the stand-in refuses a client without a certificate (the handshake fails)", async () => {
    const err = await fetch(`${api.url}${SECRET_PATH}`, { tls: { ca: api.pki.read(api.pki.ca) } }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(api.requests.length).toBe(0);
  });

  test("a client certificate from another CA is refused; the error names the request", async () => {
    const foreign = writeKubeconfig(join(dir, "foreign.yaml"), api, { client: api.pki.foreign });
    const e = await rejection(fetchClusterState(foreign, { retry: retryPolicy({ attempts: 2, delayMs: 0 }) }));
    // Bun's client sees the server close the connection after the handshake (docs/contract.md §bun-3).
    expect(e.message).toBe(`Cannot fetch cluster state: GET ${api.url}${SECRET_PATH}: ECONNRESET: The socket connection was closed unexpectedly`);
    expect(api.requests.length).toBe(0);
  });

  test("the server certificate is verified: wrong trust anchor and wrong name both fail", async () => {
    api.state.secret = STATE_JSON;
    const wrongCa = writeKubeconfig(join(dir, "wrong-ca.yaml"), api, { ca: api.pki.foreignCa });
    const e = await rejection(fetchClusterState(wrongCa, { retry: FAST }));
    expect(e.message).toBe(`Cannot fetch cluster state: GET ${api.url}${SECRET_PATH}: self signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN)`);
    const wrongName = writeKubeconfig(join(dir, "wrong-name.yaml"), api, { tlsServerName: "apiserver.example" });
    const e2 = await rejection(fetchClusterState(wrongName, { retry: FAST }));
    expect(e2.message).toBe(`Cannot fetch cluster state: GET ${api.url}${SECRET_PATH}: ERR_TLS_CERT_ALTNAME_INVALID`);
    expect(api.requests.length).toBe(0);
    // kubectl honours insecure-skip-tls-verify; so do we (RKE never writes it).
    const insecure = writeKubeconfig(join(dir, "insecure.yaml"), api, { ca: api.pki.foreignCa, tlsServerName: "apiserver.example", insecure: true });
    expect(await fetchClusterState(insecure, { retry: FAST })).toBe(STATE_PRETTY);
    // The name RKE's apiserver certificate carries besides the IP works too.
    const byName = writeKubeconfig(join(dir, "localhost.yaml"), api, { server: `https://localhost:${api.port}` });
    expect(await fetchClusterState(byName, { retry: FAST })).toBe(STATE_PRETTY);
  });

  test("embedded -data certificates work as well as paths", async () => {
    api.state.secret = STATE_JSON;
    const embedded = writeKubeconfig(join(dir, "embedded.yaml"), api, { embed: true });
    expect(await fetchClusterState(embedded, { retry: FAST })).toBe(STATE_PRETTY);
  });

  test("HTTPS_PROXY meant for S3 does not catch the loopback apiserver (as Go's proxy rules)", async () => {
    api.state.secret = STATE_JSON;
    const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, https_proxy: process.env.https_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
    process.env.HTTPS_PROXY = process.env.https_proxy = "http://127.0.0.1:1"; // nothing listens there
    delete process.env.NO_PROXY;
    delete process.env.no_proxy;
    try {
      expect(await fetchClusterState(kubeconfig, { retry: FAST })).toBe(STATE_PRETTY);
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });
});

test("defaults are the original's: 5 attempts 15 s apart, 30 s per request", () => {
  expect(CLUSTER_STATE_RETRY).toMatchObject({ attempts: 5, delayMs: 15_000, factor: 1 });
  expect(CLUSTER_STATE_TIMEOUT_MS).toBe(30_000);
});
