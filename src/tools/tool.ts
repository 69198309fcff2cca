/** What src/main.ts hands a tool. A tool returns its exit code; it never calls process.exit. */
export interface ToolContext {
  /** The name the executable was invoked as (basename of argv0). */
  name: string;
  env: Record<string, string | undefined>;
  /** Aborted on the first SIGTERM or SIGINT. */
  signal: AbortSignal;
}

export type ToolMain = (argv: string[], ctx: ToolContext) => Promise<number>;

/** Tool names, as RKE and the image invoke them. Each entry is loaded only when that tool runs. */
export const TOOLS = {
  "rke-etcd-backup": { describe: "etcd snapshots: save, serve, download, extractstatefile, delete", load: () => import("./etcd-backup/main.ts") },
  "entrypoint.sh": { describe: "entrypoint of every Kubernetes component container", load: () => import("./entrypoint/main.ts") },
  "cloud-provider.sh": { describe: "Azure cloud-config fix-up", load: () => import("./entrypoint/cloud-provider-main.ts") },
  "nginx-proxy": { describe: "render the nginx stream config from CP_HOSTS and run nginx on :6443", load: () => import("./nginx-proxy/main.ts") },
  "cert-deployer": { describe: "write the node's certificates and kubeconfigs from KUBE_* / KUBECFG_* env", load: () => import("./cert-deployer/main.ts") },
  "weave-plugins-cni.sh": { describe: "deploy the portmap and loopback CNI plugins, then wait", load: () => import("./weave-plugins-cni/main.ts") },
  "share-mnt": { describe: "make mount points shared (deprecated, kept)", load: () => import("./share-mnt/main.ts") },
} as const satisfies Record<string, { describe: string; load: () => Promise<{ main: ToolMain }> }>;

export type ToolName = keyof typeof TOOLS;

export function isToolName(name: string): name is ToolName {
  return Object.hasOwn(TOOLS, name);
}
