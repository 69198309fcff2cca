/**
 * The entrypoint's rules (docs/contract.md §a.1), as a pure function from (arguments, env, host facts) to the
 * actions act.ts performs. argv[0] is the component; the last action always starts it.
 */
import { dirname } from "node:path";
import type { Action } from "./actions.ts";
import { flagArg, flagValue, wantsAzure } from "./args.ts";
import type { Facts } from "./facts-types.ts";
import type { Env } from "./paths.ts";

export const IPTABLES_WRAPPER = "/usr/sbin/iptables-wrapper";
export const CRI_DOCKERD = "/opt/rke-tools/bin/cri-dockerd";
export const RESOLVED_CONF = "/run/systemd/resolve/resolv.conf";
export const HOST_OS_RELEASES = ["/host/usr/lib/os-release", "/host/etc/os-release", "/host/usr/share/ros/os-release"];
/** The original waited a fixed 10 s for cri-dockerd; we start kubelet as soon as its socket exists. */
export const CRIDOCKERD_READY_TIMEOUT_MS = 10_000;

export function plan(argv: readonly string[], env: Env, facts: Facts): Action[] {
  const [component] = argv;
  const actions: Action[] = [];
  if (component === "kubelet" || component === "kube-proxy") actions.push(iptablesAlternatives(facts));
  if (component === "kube-proxy" && env.RKE_KUBE_PROXY_BR_NETFILTER === "true") actions.push(brNetfilter(facts));
  if (wantsAzure(argv)) actions.push({ do: "azure-cloud-config" });

  const command = [...argv];
  if (facts.hostname) command.push(`--hostname-override=${facts.hostname.value}`);
  if (component !== "kubelet") {
    actions.push({ do: "exec", argv: command });
    return actions;
  }
  actions.push(...kubeletPreparation(env, facts));
  if (facts.docker?.cgroupDriver) command.push(`--cgroup-driver=${facts.docker.cgroupDriver}`);
  else actions.push({ do: "skip", what: "--cgroup-driver", why: "the Docker Engine API did not tell the cgroup driver" });
  if (flagArg(argv, "resolv-conf") === "--resolv-conf=/etc/resolv.conf" && facts.systemdResolved && facts.resolvedConf) {
    command.push(`--resolv-conf=${RESOLVED_CONF}`);
  }
  if (env.RKE_KUBELET_CRIDOCKERD === "true") actions.push(...criDockerd(argv, env, command));
  else actions.push({ do: "exec", argv: command });
  return actions;
}

function iptablesAlternatives(facts: Facts): Action {
  if (!facts.iptablesWrapper) return { do: "skip", what: "iptables alternatives", why: `${IPTABLES_WRAPPER} is not in this image` };
  if (!facts.programs["update-alternatives"]) return { do: "skip", what: "iptables alternatives", why: "update-alternatives is not in this image" };
  return { do: "run", argv: ["update-alternatives", "--set", "iptables", IPTABLES_WRAPPER], why: "iptables mode is chosen again at every start" };
}

function brNetfilter(facts: Facts): Action {
  if (facts.programs.modprobe) return { do: "run", argv: ["modprobe", "br_netfilter"], why: "canal and flannel need br_netfilter" };
  if (facts.brNetfilterLoaded) return { do: "skip", what: "modprobe br_netfilter", why: "modprobe is not in this image; the module is loaded already" };
  return { do: "skip", what: "modprobe br_netfilter", why: "modprobe is not in this image and the module is not loaded" };
}

function kubeletPreparation(env: Env, facts: Facts): Action[] {
  const actions: Action[] = [];
  for (const target of unmounts(facts)) actions.push({ do: "umount", target });
  actions.push({ do: "rbind", source: "/host/dev", target: "/dev" });
  const cgroup = facts.mounts.findLast((m) => m.target === "/sys/fs/cgroup");
  const data = (cgroup?.superOptions ?? []).filter((o) => o !== "rw" && o !== "ro" && o !== "seclabel").join(",");
  actions.push({ do: "remount-rw", target: "/sys/fs/cgroup", options: cgroup?.options ?? [], ...(data ? { data } : {}) });
  if (facts.docker?.cgroupVersion === "1") actions.push(...cgroupV1(facts));
  for (const dir of ["/opt/cni", "/etc/cni"]) actions.push({ do: "mkdir", path: dir });
  if (facts.selinux) for (const dir of ["/etc/cni", "/opt/cni"]) actions.push({ do: "relabel", path: dir, type: "svirt_sandbox_file_t" });
  actions.push({ do: "sysctl", key: "net.bridge.bridge-nf-call-iptables", value: "1" });
  if (facts.hostOsRelease) actions.push({ do: "symlink", target: facts.hostOsRelease, path: "/usr/lib/os-release" });
  if (env.RKE_KUBELET_DOCKER_CONFIG) {
    if (env.RKE_KUBELET_DOCKER_FILE) actions.push({ do: "registry-config", path: env.RKE_KUBELET_DOCKER_FILE });
    else actions.push({ do: "skip", what: "registry docker config", why: "RKE_KUBELET_DOCKER_FILE is not set" });
  }
  return actions;
}

/**
 * Sub-mounts of Docker's root dir, /var/lib/docker, /run and /var/run, innermost (latest) first —
 * except nscd's socket dir and the first-level children of Docker's root dir (a separate
 * filesystem on /var/lib/docker/containers must stay: rancher/rancher#29275).
 */
export function unmounts(facts: Facts): string[] {
  const dockerRoot = trimSlash(facts.docker?.rootDir || "/var/lib/docker");
  const roots = [...new Set([dockerRoot, "/var/lib/docker", "/run", "/var/run"])];
  const keep = (m: string) => m === "/var/run/nscd" || m === "/run/nscd" || dirname(m) === dockerRoot;
  const picked = new Set<number>();
  const out: string[] = [];
  for (const root of roots) {
    for (let i = facts.mounts.length - 1; i >= 0; i--) {
      const m = facts.mounts[i]!.target;
      if (picked.has(i) || !m.startsWith(root + "/") || keep(m)) continue;
      picked.add(i);
      out.push(m);
    }
  }
  return out;
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, "") : p;
}

const CGROUP_ALIASES: [source: string, alias: string][] = [
  ["cpu,cpuacct", "cpuacct,cpu"],
  ["net_cls,net_prio", "net_prio,net_cls"],
];

function cgroupV1(facts: Facts): Action[] {
  const actions: Action[] = facts.cgroupDirs.map((d) => ({ do: "mkdir", path: `/sys/fs/cgroup/${d}/kubepods` }) as const);
  for (const [source, alias] of CGROUP_ALIASES) {
    if (!facts.cgroupDirs.includes(source)) continue;
    const target = `/sys/fs/cgroup/${alias}`;
    if (facts.mounts.some((m) => m.target === target)) {
      actions.push({ do: "skip", what: `bind ${target}`, why: "already mounted" });
      continue;
    }
    actions.push({ do: "mkdir", path: target }, { do: "bind", source: `/sys/fs/cgroup/${source}`, target });
  }
  return actions;
}

/** The cri-dockerd branch (RKE_KUBELET_CRIDOCKERD=true): cri-dockerd and kubelet side by side. */
function criDockerd(argv: readonly string[], env: Env, kubelet: string[]): Action[] {
  const actions: Action[] = [];
  if (env.RKE_KUBELET_DOCKER_CONFIG && env.RKE_KUBELET_DOCKER_FILE) {
    actions.push(
      { do: "mkdir", path: "/.docker" },
      { do: "touch", path: "/.docker/config.json" },
      { do: "bind", source: env.RKE_KUBELET_DOCKER_FILE, target: "/.docker/config.json" },
    );
  }
  let endpoint = flagValue(argv, "container-runtime-endpoint");
  if (endpoint === "/var/run/dockershim.sock") endpoint = `unix://${endpoint}`;
  const address = env.CRIDOCKERD_STREAM_SERVER_ADDRESS || "127.0.0.1";
  const port = env.CRIDOCKERD_STREAM_SERVER_PORT || "10010";
  const pause = flagArg(argv, "pod-infra-container-image");
  const first = [
    CRI_DOCKERD,
    "--network-plugin=cni",
    "--cni-conf-dir=/etc/cni/net.d",
    "--cni-bin-dir=/opt/cni/bin",
    ...(pause ? [pause] : []),
    ...(endpoint !== undefined ? [`--container-runtime-endpoint=${endpoint}`] : []),
    `--streaming-bind-addr=${address}:${port}`,
    ...(env.RKE_KUBELET_CRIDOCKERD_DUALSTACK === "true" ? ["--ipv6-dual-stack"] : []),
  ];
  const socket = endpoint?.startsWith("unix://") ? endpoint.slice("unix://".length) : endpoint?.startsWith("/") ? endpoint : undefined;
  actions.push({ do: "supervise", first, second: kubelet, readySocket: socket, readyTimeoutMs: CRIDOCKERD_READY_TIMEOUT_MS });
  return actions;
}
