/**
 * cert-deployer and nginx-proxy from the image as RKE runs them (docs/contract.md §a.2, §a.3;
 * rancher/rke pki/deploy.go doRunDeployer, cluster/plan.go BuildNginxProxyProcess). nginx-proxy runs
 * on a worker node in a network namespace; the control-plane nodes are addresses of a second
 * namespace, where TLS listeners stand in for kube-apiserver.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describeWith } from "../support/components.ts";
import { makePki } from "../support/pki.ts";
import { cname, create, exec, imageComponents, type Nodes, remove, runOnce, start, testImages, twoNodes, until, workDir } from "./support.ts";

describeWith(imageComponents, "image: cert-deployer and nginx-proxy", () => {
  let img: ReturnType<typeof testImages>;
  let net: Nodes;
  const made: string[] = [];
  const CP2 = "10.213.0.3"; // a second control-plane address on node B

  beforeAll(() => {
    img = testImages();
    net = twoNodes("proxy");
    const r = spawnSync("ip", ["-n", net.b.ns, "addr", "add", `${CP2}/24`, "dev", "eth0"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ip addr add ${CP2} in ${net.b.ns} failed: ${r.stderr.trim()}`);
  }, 900_000);

  afterAll(() => {
    remove(...made);
    net?.remove();
  });

  test("cert-deployer (Cmd [cert-deployer], privileged, /etc/kubernetes bound) writes each PEM and kubeconfig RKE passes", () => {
    const pki = makePki();
    const kube = join(workDir(), "certs-node/etc/kubernetes");
    mkdirSync(kube, { recursive: true });
    const ca = readFileSync(pki.ca, "utf8");
    const node = readFileSync(pki.node.cert, "utf8");
    const nodeKey = readFileSync(pki.node.key, "utf8");
    const kubecfg = 'apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: "https://127.0.0.1:6443"\n  name: "local"\n';
    const r = runOnce({
      name: "cert-deployer",
      image: img.image,
      cmd: ["cert-deployer"],
      env: [`KUBE_CA=${ca}`, `KUBE_NODE=${node}`, `KUBE_NODE_KEY=${nodeKey}`, `KUBECFG_KUBE_NODE=${kubecfg}`],
      binds: [`${kube}:/etc/kubernetes`],
      privileged: true,
      network: "none",
    });
    made.push(cname("cert-deployer"));
    expect(r.code).toBe(0);
    const ssl = join(kube, "ssl");
    expect(readdirSync(ssl).sort()).toEqual(["kube-ca.pem", "kube-node-key.pem", "kube-node.pem", "kubecfg-kube-node.yaml"]);
    expect(readFileSync(join(ssl, "kube-ca.pem"), "utf8")).toBe(`${ca.trimEnd()}\n`);
    expect(readFileSync(join(ssl, "kube-node-key.pem"), "utf8")).toBe(`${nodeKey.trimEnd()}\n`);
    expect(readFileSync(join(ssl, "kubecfg-kube-node.yaml"), "utf8")).toBe(`${kubecfg.trimEnd()}\n`);
    for (const f of readdirSync(ssl)) expect({ f, mode: statSync(join(ssl, f)).mode & 0o777 }).toEqual({ f, mode: 0o600 });
    expect(statSync(ssl).mode & 0o777).toBe(0o755);
  }, 120_000);

  test("nginx-proxy (Entrypoint [nginx-proxy], Cmd [CP_HOSTS=…], restart always) proxies :6443 to the control plane and keeps working with one upstream down", async () => {
    // kube-apiserver stand-in on the first control-plane address: a TLS listener that greets and closes.
    const tls = (container: string, ip: string, port = "6443") => exec(container, ["ncat", "--ssl", "--recv-only", "-w", "5", ip, port]).stdout.trim();
    const apiserver = async (label: string, ip: string) => {
      const n = create(
        {
          name: "kube-apiserver",
          image: img.base,
          entrypoint: ["ncat"],
          cmd: ["--ssl", "-kl", ip, "6443", "--sh-exec", `echo apiserver-${label}`],
          network: net.b.net,
          restart: "no",
        },
        label,
      );
      made.push(n);
      start(n);
      await until(n, "listening", (s) => s.Running && tls(n, ip) === `apiserver-${label}`, 30_000);
    };
    await apiserver("b", net.b.ip);
    const cp = `${net.b.ip},${CP2}`;
    const proxy = create(
      { name: "nginx-proxy", image: img.image, entrypoint: ["nginx-proxy"], cmd: [`CP_HOSTS=${cp}`], env: [`CP_HOSTS=${cp}`], network: net.a.net, restart: "always" },
      "a",
    );
    made.push(proxy);
    start(proxy);
    /** What a kubelet on the worker would get through https://127.0.0.1:6443. */
    const viaProxy = () => tls(proxy, "127.0.0.1");
    await until(proxy, "answering on :6443", (s) => s.Running && viaProxy() === "apiserver-b", 60_000);
    // CP2 has nothing on :6443 (refused): round-robin lands there every other connection and fails over.
    const replies = Array.from({ length: 6 }, viaProxy);
    expect(replies).toEqual(Array(6).fill("apiserver-b"));
    // With both up, connections reach both control-plane nodes.
    await apiserver("c", CP2);
    // nginx keeps a refused upstream out for fail_timeout (10 s): poll until round-robin reaches it again.
    await until(proxy, "proxying to both control-plane nodes", () => new Set(Array.from({ length: 4 }, viaProxy)).size === 2, 60_000);
    expect(new Set(Array.from({ length: 6 }, viaProxy))).toEqual(new Set(["apiserver-b", "apiserver-c"]));
    expect(exec(proxy, ["cat", "/proc/1/comm"]).stdout.trim()).toBe("nginx"); // nginx-proxy exec'd nginx in place
  }, 180_000);
});
