import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode } from "../../src/errors.ts";
import { fetchClusterState } from "../../src/kube/cluster-state.ts";
import { loadKubeconfig } from "../../src/kube/kubeconfig.ts";
import { apiUrl } from "../../src/kube/request.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { makePki, type Pki } from "../support/pki.ts";
import { writeKubeconfig } from "../support/kube-api.ts";
import { rejection } from "../support/rejection.ts";

describeWith([hasCommand("openssl", "apt-get install openssl")], "kubeconfig as RKE writes it", () => {
  let pki: Pki;
  let dir: string;
  const api = () => ({ url: "https://127.0.0.1:6443", pki });
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  beforeAll(() => {
    pki = makePki();
    dir = mkdtempSync(join(tmpdir(), "rke-kubeconfig-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("reads server, CA, client certificate and key from RKE's kubecfg-kube-node.yaml", async () => {
    const p = writeKubeconfig(join(dir, "ssl", "kubecfg-kube-node.yaml"), api());
    const cfg = await loadKubeconfig(p);
    expect(cfg.server.href).toBe("https://127.0.0.1:6443/");
    expect(cfg.ca).toBe(pki.read(pki.ca));
    expect(cfg.cert).toBe(pki.read(pki.node.cert));
    expect(cfg.key).toBe(pki.read(pki.node.key));
    expect(cfg.insecureSkipTlsVerify).toBe(false);
    expect(cfg.serverName).toBeUndefined();
  });

  test("-data fields (base64) are read and win over paths", async () => {
    const p = writeKubeconfig(join(dir, "embedded.yaml"), api(), { embed: true });
    const cfg = await loadKubeconfig(p);
    expect(cfg.cert).toBe(pki.read(pki.node.cert));
    expect(cfg.key).toBe(pki.read(pki.node.key));
  });

  test("relative paths are relative to the kubeconfig's folder, as kubectl resolves them", async () => {
    const sub = join(dir, "rel");
    mkdirSync(join(sub, "certs"), { recursive: true });
    for (const [src, dst] of [
      [pki.ca, "ca.pem"],
      [pki.node.cert, "node.pem"],
      [pki.node.key, "node-key.pem"],
    ] as const) {
      writeFileSync(join(sub, "certs", dst), pki.read(src));
    }
    const p = join(sub, "kubeconfig");
    writeFileSync(
      p,
      `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: certs/ca.pem\n    server: https://127.0.0.1:6443/k8s/clusters/c-abc12\n  name: local\ncontexts:\n- context:\n    cluster: local\n    user: u\n  name: ctx\ncurrent-context: ctx\nusers:\n- name: u\n  user:\n    client-certificate: certs/node.pem\n    client-key: ./certs/node-key.pem\n`,
    );
    const cfg = await loadKubeconfig(p);
    expect(cfg.key).toBe(pki.read(pki.node.key));
    expect(apiUrl(cfg.server, "/api/v1/namespaces/kube-system/secrets/x")).toBe("https://127.0.0.1:6443/k8s/clusters/c-abc12/api/v1/namespaces/kube-system/secrets/x");
  });

  test("a missing kubeconfig: one line naming the file", async () => {
    const missing = join(dir, "nope", "kubecfg-kube-node.yaml");
    const e = await rejection(fetchClusterState(missing));
    expect(e.message).toBe(`Cannot fetch cluster state: kubeconfig ${missing}: no such file`);
    expect(e.code).toBe(ErrorCode.NotFound);
  });

  const good = () => writeKubeconfig(join(dir, "base.yaml"), api());
  const variants: [string, (text: string) => string, string][] = [
    ["not YAML", () => "clusters: [\n  - {\n", "not valid YAML"],
    ["not a mapping", () => "- just\n- a list\n", "not a kubeconfig (expected a mapping with clusters, contexts and users)"],
    ["no current-context", (t) => t.replace(/current-context: .*\n/, ""), "current-context is not set"],
    ["unknown current-context", (t) => t.replace(/current-context: .*\n/, 'current-context: "elsewhere"\n'), 'context "elsewhere" not found in contexts'],
    ["unknown cluster", (t) => t.replace('cluster: "local"', 'cluster: "other"'), 'cluster "other" not found in clusters'],
    ["no users list", (t) => t.replace(/users:[\s\S]*$/, ""), "users is missing or not a list"],
    ["no server", (t) => t.replace(/ {4}server: .*\n/, ""), 'cluster "local" has no server'],
    ["plain http", (t) => t.replace("https://", "http://"), 'cluster "local" server "http://127.0.0.1:6443" is not an https:// URL'],
    ["missing CA file", (t) => t.replace(pki.ca, "/nope/kube-ca.pem"), 'cluster "local" certificate-authority /nope/kube-ca.pem: no such file'],
    ["missing key file", (t) => t.replace(pki.node.key, "/nope/kube-node-key.pem"), 'user "kube-node-local" client-key /nope/kube-node-key.pem: no such file'],
    ["key is not a key", (t) => t.replace(pki.node.key, pki.node.cert), 'user "kube-node-local" client-key is not a valid PEM private key'],
    ["cert is not a cert", (t) => t.replace(pki.node.cert, pki.node.key), 'user "kube-node-local" client-certificate holds no PEM certificate'],
    ["bad -data", (t) => t.replace(/client-key: .*/, "client-key-data: not*base64!"), 'user "kube-node-local" client-key-data is not valid base64'],
    [
      "no client certificate",
      (t) => t.replace(/user:\n[\s\S]*$/, "user:\n    token: abc\n"),
      'user "kube-node-local" has no client-certificate and client-key (only client-certificate authentication is supported)',
    ],
  ];
  for (const [name, edit, why] of variants) {
    test(`malformed kubeconfig (${name}): one line naming the file and the problem`, async () => {
      const { readFileSync } = await import("node:fs");
      const p = write(`bad-${name.replace(/\W+/g, "-")}.yaml`, edit(readFileSync(good(), "utf8")));
      const e = await rejection(fetchClusterState(p));
      expect(e.message.startsWith(`Cannot fetch cluster state: kubeconfig ${p}: ${why}`)).toBe(true);
      expect(e.message).not.toContain("\n");
      expect(e.message).not.toContain("PRIVATE KEY");
    });
  }
});
