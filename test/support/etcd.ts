/**
 * A real etcd (Debian etcd-server) for tests: client-certificate TLS on a random loopback port,
 * data in a temp dir, filled with Kubernetes-like values through our own gRPC client.
 */
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EtcdClient } from "../../src/etcd/client.ts";
import { parseEndpoints } from "../../src/etcd/endpoints.ts";
import { loadTlsFiles } from "../../src/tls/pem.ts";
import { component, hasCommand } from "./components.ts";
import { makePki, type Pki } from "./pki.ts";

export const etcdComponents = [
  hasCommand("etcd", "apt-get install etcd-server"),
  hasCommand("etcdctl", "apt-get install etcd-client"),
  component("openssl", () => (Bun.which("openssl") ? undefined : "openssl not found")),
];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface EtcdServer {
  endpoint: string; // 127.0.0.1:port
  pki: Pki;
  dir: string;
  /** The flags `save` and `etcdctl` need: --endpoints, --cacert, --cert, --key. */
  flags: string[];
  etcdctl(args: string[]): { code: number; stdout: string; stderr: string };
  /** Puts `bytes` of k8s-like values (`valueSize` each) under /registry/…; returns the key count. */
  fill(bytes: number, valueSize?: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startEtcd(opts: { quotaBytes?: number } = {}): Promise<EtcdServer> {
  const pki = makePki();
  const dir = mkdtempSync(join(tmpdir(), "rke-etcd-"));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `127.0.0.1:${client}`;
  const args = [
    "--name",
    "t",
    "--data-dir",
    join(dir, "data"),
    "--listen-client-urls",
    `https://${endpoint}`,
    "--advertise-client-urls",
    `https://${endpoint}`,
    "--listen-peer-urls",
    `http://127.0.0.1:${peer}`,
    "--initial-advertise-peer-urls",
    `http://127.0.0.1:${peer}`,
    "--initial-cluster",
    `t=http://127.0.0.1:${peer}`,
    "--cert-file",
    pki.server.cert,
    "--key-file",
    pki.server.key,
    "--client-cert-auth",
    "--trusted-ca-file",
    pki.ca,
    "--quota-backend-bytes",
    String(opts.quotaBytes ?? 8 * 2 ** 30),
    "--log-level",
    "error",
    "--logger",
    "zap",
    "--snapshot-count",
    "1000000",
    "--auto-compaction-retention",
    "0",
  ];
  const proc: ChildProcess = spawn("etcd", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const flags = ["--endpoints", endpoint, "--cacert", pki.ca, "--cert", pki.client.cert, "--key", pki.client.key];
  const etcdctl = (a: string[]) => {
    const r = spawnSync("etcdctl", [...flags, ...a], {
      env: { PATH: process.env.PATH, ETCDCTL_API: "3" },
      encoding: "utf8",
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const stop = async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Poll until etcd answers (bounded).
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`etcd exited ${proc.exitCode}: ${stderr}`);
    }
    if (etcdctl(["endpoint", "health", "--command-timeout=2s"]).code === 0) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not become healthy: ${stderr}`);
    }
    await Bun.sleep(100);
  }
  const fill = async (bytes: number, valueSize = 64 * 1024) => {
    const c = EtcdClient.connect(parseEndpoints(endpoint)[0]!, loadTlsFiles({ cacert: pki.ca, cert: pki.client.cert, key: pki.client.key }));
    const count = Math.ceil(bytes / valueSize);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < count; i = next++) {
        const key = `/registry/configmaps/ns-${i % 97}/cm-${i}`;
        const req = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(Buffer.from(key)).tag(2, WireType.LengthDelimited).bytes(k8sValue(i, valueSize)).finish();
        await c.unary("/etcdserverpb.KV/Put", req, () => undefined, { timeoutMs: 30_000 });
      }
    };
    try {
      await Promise.all(Array.from({ length: 16 }, worker));
    } finally {
      c.close();
    }
    return count;
  };
  return { endpoint, pki, dir, flags, etcdctl, fill, stop };
}

/** A ConfigMap-like JSON object of about `size` bytes: random ids, repeated structure, a random blob. */
export function k8sValue(i: number, size: number): Buffer {
  const items: string[] = [];
  const blob = randomBytes(Math.floor(size * 0.22)).toString("base64");
  let len = blob.length + 400;
  while (len < size) {
    const item = `{"name":"container-${items.length}","image":"registry.example.com/team/app-${i % 50}:v1.${items.length % 9}","uid":"${randomUUID()}","env":[{"name":"LOG_LEVEL","value":"info"},{"name":"POD_IP","valueFrom":{"fieldRef":{"fieldPath":"status.podIP"}}}],"resources":{"limits":{"cpu":"500m","memory":"256Mi"}}}`;
    items.push(item);
    len += item.length + 1;
  }
  const json = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-${i}","namespace":"ns-${i % 97}","uid":"${randomUUID()}","resourceVersion":"${1000 + i}","labels":{"app":"app-${i % 50}"}},"data":{"blob":"${blob}","items":[${items.join(",")}]}}`;
  return Buffer.from(json);
}
