/**
 * A kube-apiserver stand-in for tests: HTTPS on 127.0.0.1 (random port) with the test PKI's server
 * certificate (SAN IP:127.0.0.1, as RKE's apiserver certificate), client certificates required and
 * verified against the test CA, the real paths of the Secret and ConfigMap `kube-system/full-cluster-state`
 * and real-shaped JSON bodies (`Secret`, `ConfigMap`, `Status`). What it serves can be changed
 * between requests through `api.state`. `writeKubeconfig` writes a kubeconfig in RKE's format.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Server } from "bun";
import { makePki, type CertPaths, type Pki } from "./pki.ts";

export interface KubeApiState {
  /** State JSON text stored base64-encoded in the Secret; null = no Secret (404). */
  secret: string | null;
  /** The Secret's raw `data["full-cluster-state"]` value, for bad base64 (overrides `secret`). */
  secretRaw?: string;
  /** State JSON text in the ConfigMap; null = no ConfigMap (404). */
  configMap: string | null;
  /** Answer every Secret read with this error status (403: RBAC forbids secrets). */
  secretStatus?: number;
  /** Answer every ConfigMap read with this error status. */
  configMapStatus?: number;
  /** The first `count` requests (any path) get `code` (500 by default) as a Status object. */
  failFirst?: { count: number; code?: number };
  /** Answer every request with this, whatever the path (a proxy or some other server in the way). */
  raw?: { status: number; body: string; contentType: string };
  /** Never answer ("headers"), or send the headers and part of the body, then stall ("body"). */
  hang?: "headers" | "body";
}

export interface RecordedRequest {
  method: string;
  path: string;
  accept: string | null;
}

export interface KubeApi {
  url: string;
  port: number;
  pki: Pki;
  state: KubeApiState;
  requests: RecordedRequest[];
  /** Resolves when the n-th request (counting from 1) has arrived. */
  waitForRequests(n: number): Promise<void>;
  stop(): Promise<void>;
}

const REASONS: Record<number, [string, string]> = {
  401: ["Unauthorized", "Unauthorized"],
  403: ["Forbidden", "is forbidden"],
  404: ["NotFound", "not found"],
  429: ["TooManyRequests", "the server has received too many requests and has asked us to try again later"],
  500: ["InternalError", "Internal error occurred: etcdserver: request timed out"],
  503: ["ServiceUnavailable", "the server is currently unable to handle the request"],
};

/** A `Status` body as the apiserver sends it for a failed request. */
export function statusBody(code: number, resource?: string, name?: string): object {
  const [reason, text] = REASONS[code] ?? ["InternalError", "error"];
  let message = text;
  if (code === 404 && resource) message = `${resource} "${name}" not found`;
  else if (code === 404) message = "the server could not find the requested resource";
  else if (code === 403 && resource) {
    message = `${resource} "${name}" is forbidden: User "system:node" cannot get resource "${resource}" in API group "" in the namespace "kube-system"`;
  }
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(resource ? { details: { name, kind: resource } } : {}),
    code,
  };
}

function meta(name: string) {
  return {
    name,
    namespace: "kube-system",
    uid: "5c1d0a6e-3f0b-4b8e-9d0e-2a7f4c1b9e11",
    resourceVersion: "48213",
    creationTimestamp: "2026-11-20T09:14:03Z",
  };
}

const json = (body: object, status = 200) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", "Cache-Control": "no-cache, private" } });

const PATH = /^\/api\/v1\/namespaces\/kube-system\/(secrets|configmaps)\/full-cluster-state$/;

export async function startKubeApi(initial: Partial<KubeApiState> = {}): Promise<KubeApi> {
  const pki = makePki();
  const state: KubeApiState = { secret: null, configMap: null, ...initial };
  const requests: RecordedRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const hanging = new Set<() => void>();
  const hangUntilStop = () => new Promise<void>((resolve) => hanging.add(resolve));

  const handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    requests.push({ method: req.method, path: url.pathname, accept: req.headers.get("accept") });
    for (const w of waiters.filter((w) => requests.length >= w.n)) w.resolve();

    if (state.hang === "headers") {
      await hangUntilStop();
      return json(statusBody(503), 503);
    }
    if (state.failFirst && state.failFirst.count > 0) {
      state.failFirst.count--;
      const code = state.failFirst.code ?? 500;
      return json(statusBody(code), code);
    }
    if (state.raw) return new Response(state.raw.body, { status: state.raw.status, headers: { "Content-Type": state.raw.contentType } });
    const m = PATH.exec(url.pathname);
    if (req.method !== "GET" || !m) return json(statusBody(404), 404);
    const resource = m[1]!;
    if (resource === "secrets") {
      if (state.secretStatus) return json(statusBody(state.secretStatus, resource, "full-cluster-state"), state.secretStatus);
      if (state.secret === null && state.secretRaw === undefined) return json(statusBody(404, resource, "full-cluster-state"), 404);
      const value = state.secretRaw ?? Buffer.from(state.secret!).toString("base64");
      const body = JSON.stringify({ kind: "Secret", apiVersion: "v1", metadata: meta("full-cluster-state"), data: { "full-cluster-state": value }, type: "Opaque" });
      if (state.hang === "body") return stalledBody(body, hangUntilStop);
      return new Response(body, { headers: { "Content-Type": "application/json" } });
    }
    if (state.configMapStatus) return json(statusBody(state.configMapStatus, resource, "full-cluster-state"), state.configMapStatus);
    if (state.configMap === null) return json(statusBody(404, resource, "full-cluster-state"), 404);
    return json({ kind: "ConfigMap", apiVersion: "v1", metadata: meta("full-cluster-state"), data: { "full-cluster-state": state.configMap } });
  };

  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0, // hanging answers are ended by stop(), not by Bun's 10 s default
    tls: { cert: pki.read(pki.server.cert), key: pki.read(pki.server.key), ca: pki.read(pki.ca), requestCert: true, rejectUnauthorized: true },
    fetch: handle,
  });
  const port = server.port!;

  return {
    url: `https://127.0.0.1:${port}`,
    port,
    pki,
    state,
    requests,
    waitForRequests(n) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    async stop() {
      for (const release of hanging) release();
      await server.stop(true);
    },
  };
}

/** Headers and the first half of `body`, then nothing until the server stops. */
function stalledBody(body: string, hang: () => Promise<void>): Response {
  const half = new TextEncoder().encode(body.slice(0, body.length >> 1));
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(half);
      await hang();
      controller.close();
    },
  });
  return new Response(stream, { headers: { "Content-Type": "application/json" } });
}

export interface KubeconfigOptions {
  /** Client certificate and key; null writes a user without them. Default: RKE's kube-node certificate. */
  client?: CertPaths | null;
  /** Embed the PEMs as `-data` fields (base64) instead of paths. */
  embed?: boolean;
  /** Trust anchor; default the test CA. */
  ca?: string;
  /** Server URL; default the stand-in's. */
  server?: string;
  /** Adds `tls-server-name` to the cluster. */
  tlsServerName?: string;
  /** Adds `insecure-skip-tls-verify: true` to the cluster. */
  insecure?: boolean;
}

/**
 * Writes `path` as RKE's pki.getKubeConfigX509 writes kubecfg-kube-node.yaml (cluster "local",
 * user "kube-node-local", quoted names and server, no trailing newline).
 */
export function writeKubeconfig(path: string, api: Pick<KubeApi, "url" | "pki">, opts: KubeconfigOptions = {}): string {
  const client = opts.client === undefined ? api.pki.node : opts.client;
  const ca = opts.ca ?? api.pki.ca;
  const b64 = (p: string) => Buffer.from(api.pki.read(p)).toString("base64");
  const field = (name: string, p: string) => (opts.embed ? `${name}-data: ${b64(p)}` : `${name}: ${p}`);
  const userLines = client ? `\n    ${field("client-certificate", client.cert)}\n    ${field("client-key", client.key)}` : "\n    {}";
  const text = `apiVersion: v1
kind: Config
clusters:
- cluster:
    api-version: v1
    ${field("certificate-authority", ca)}
    server: "${opts.server ?? api.url}"${opts.tlsServerName ? `\n    tls-server-name: ${opts.tlsServerName}` : ""}${opts.insecure ? "\n    insecure-skip-tls-verify: true" : ""}
  name: "local"
contexts:
- context:
    cluster: "local"
    user: "kube-node-local"
  name: "local"
current-context: "local"
users:
- name: "kube-node-local"
  user:${userLines}`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

/** `<dir>/ssl/kubecfg-kube-node.yaml`, where RKE puts it under /etc/kubernetes. */
export function kubeconfigPathIn(kubernetesDir: string): string {
  return join(kubernetesDir, "ssl", "kubecfg-kube-node.yaml");
}
