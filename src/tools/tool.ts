import type { ToolMain } from "../cli/tool-context.ts";

/**
 * Tool names, as RKE and the image invoke them. Each entry is loaded only when that tool runs.
 * `usage` is printed by src/main.ts for a lone `--help`/`-h` (tools with their own help have none);
 * RKE never passes that, so it cannot change what RKE sees.
 */
export const TOOLS = {
  "rke-etcd-backup": { describe: "etcd snapshots: save, serve, download, extractstatefile, delete", load: () => import("./etcd-backup/main.ts") },
  "entrypoint.sh": {
    describe: "entrypoint of every Kubernetes component container",
    usage:
      "Usage: entrypoint.sh COMPONENT [--flag=value ...]\n\nPrepares the host for COMPONENT (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,\nkube-proxy), then replaces itself with it (same PID); see docs/entrypoint.md.\n",
    load: () => import("./entrypoint/main.ts"),
  },
  "cloud-provider.sh": { describe: "Azure cloud-config fix-up", load: () => import("./entrypoint/cloud-provider-main.ts") },
  "nginx-proxy": {
    describe: "render the nginx stream config from CP_HOSTS and run nginx on :6443",
    usage:
      "Usage: CP_HOSTS=ADDR[,ADDR...] nginx-proxy [CP_HOSTS=...]\n\nRenders /etc/nginx/nginx.conf (TCP proxy on :6443 to every control-plane host), checks it with\nnginx -t, then becomes nginx -g 'daemon off;'. The argument is accepted and ignored.\n",
    load: () => import("./nginx-proxy/main.ts"),
  },
  "cert-deployer": {
    describe: "write the node's certificates and kubeconfigs from KUBE_* / KUBECFG_* env",
    usage:
      "Usage: cert-deployer\n\nWrites KUBE_X_Y to kube-x-y.pem and KUBECFG_X_Y to kubecfg-x-y.yaml in /etc/kubernetes/ssl\n(CRTS_DEPLOY_PATH overrides). Certificates are replaced only with FORCE_DEPLOY=true, kubeconfigs never;\nETCD_UID/ETCD_GID give etcd access to its files.\n",
    load: () => import("./cert-deployer/main.ts"),
  },
  "weave-plugins-cni.sh": {
    describe: "deploy the portmap and loopback CNI plugins, then wait",
    usage: "Usage: weave-plugins-cni.sh\n\nMoves /tmp/loopback and /tmp/portmap into /opt/cni/bin, then waits until SIGTERM.\n",
    load: () => import("./weave-plugins-cni/main.ts"),
  },
  "share-mnt": {
    describe: "make mount points shared (deprecated, kept)",
    usage: "Usage: share-mnt PATH... [-- norun | -- COMMAND ARGS...]\n\nMakes each mount point shared (recursively), then runs COMMAND (exec) unless it is norun or absent.\n",
    load: () => import("./share-mnt/main.ts"),
  },
} as const satisfies Record<string, { describe: string; usage?: string; load: () => Promise<{ main: ToolMain }> }>;

export type ToolName = keyof typeof TOOLS;

export function isToolName(name: string): name is ToolName {
  return Object.hasOwn(TOOLS, name);
}
