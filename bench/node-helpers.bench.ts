/**
 * Issue 6: how long the node helpers take. cert-deployer must finish fast (RKE waits on it with no
 * timeout); nginx-proxy's time to exec nginx is the node's time without an apiserver proxy.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { distDir } from "../compile/build.ts";
import { makePki } from "../test/support/pki.ts";
import { median, measure, mib, type Measured } from "./lib.ts";
import type { Bench } from "./run.ts";

const RUNS = 15;
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

function row(label: string, s: Measured[]): string {
  if (s.some((m) => m.code !== 0)) throw new Error(`${label}: a run failed`);
  return `| ${label} | ${median(s.map((m) => m.wallMs)).toFixed(1)} ms | ${Math.min(...s.map((m) => m.wallMs)).toFixed(1)} ms | ${mib(median(s.map((m) => m.maxRssKiB)))} MiB |`;
}

const bench: Bench = {
  title: "Node helpers: cert-deployer and nginx-proxy",
  async run() {
    const work = mkdtempSync(join(tmpdir(), "bench-helpers-"));
    try {
      const pki = makePki();
      const cert = pki.read(pki.node.cert);
      const key = pki.read(pki.node.key);
      const env: Record<string, string> = {
        PATH,
        KUBE_CA: pki.read(pki.ca),
        KUBECFG_KUBE_NODE: "apiVersion: v1\nkind: Config\n",
        KUBECFG_KUBE_PROXY: "apiVersion: v1\nkind: Config\n",
      };
      for (const n of ["NODE", "PROXY", "ETCD_10_0_0_1", "KUBELET_10_0_0_1", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER"]) {
        env[`KUBE_${n}`] = cert;
        env[`KUBE_${n}_KEY`] = key;
      }
      let i = 0;
      const fresh = () => join(work, `ssl-${i++}`);
      const tool = (name: string) => join(distDir("x64"), name);
      const series = (cmd: string[], extra: Record<string, string>) => Array.from({ length: RUNS }, () => measure(cmd, { env: { ...env, CRTS_DEPLOY_PATH: fresh(), ...extra } }));

      const rows = [
        row("cert-deployer, 17 files into an empty folder", series([tool("cert-deployer")], {})),
        row("cert-deployer, same, with ETCD_UID/ETCD_GID (3 × setfacl)", series([tool("cert-deployer")], { ETCD_UID: "52034", ETCD_GID: "52035" })),
        row("the original's bash logic (test/cert-deployer/original.sh), same env", series(["bash", join(import.meta.dir, "../test/cert-deployer/original.sh")], {})),
      ];

      // nginx-proxy up to its exec: validation, render, atomic write, real `nginx -t`; the program it
      // then execs is a stand-in `nginx`, first on PATH, that exits, so that each run ends.
      mkdirSync(join(work, "bin"), { recursive: true });
      const nginx = join(work, "bin", "nginx");
      writeFileSync(nginx, '#!/bin/sh\nif [ "$1" = -t ]; then exec /usr/sbin/nginx "$@"; fi\nexit 0\n');
      chmodSync(nginx, 0o755);
      const np = Array.from({ length: RUNS }, () =>
        measure([tool("nginx-proxy"), "CP_HOSTS=10.0.0.1,10.0.0.2,10.0.0.3"], {
          env: { CP_HOSTS: "10.0.0.1,10.0.0.2,10.0.0.3", PATH: `${join(work, "bin")}:${PATH}`, RKE_TOOLS_NGINX_CONF: join(work, "nginx.conf") },
        }),
      );
      rows.push(row("nginx-proxy to exec, including `nginx -t` (real nginx)", np));
      rows.push(
        row(
          "`nginx -t` alone, for comparison",
          Array.from({ length: RUNS }, () => measure(["/usr/sbin/nginx", "-t", "-c", join(work, "nginx.conf"), "-g", `pid ${join(work, "t.pid")};`])),
        ),
      );

      return `Median of ${RUNS} runs each, wall time including process spawn, max RSS from GNU time. The machine is
shared by several agents (load average often above 5 on 2 cores): read the rows side by side.

| what | median | min | max RSS (median) |
|---|---|---|---|
${rows.join("\n")}
`;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
export default bench;
