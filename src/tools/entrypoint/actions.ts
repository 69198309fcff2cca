/**
 * What the entrypoint does, as data: plan.ts decides, act.ts performs and logs each action once.
 * Paths are container paths (act.ts adds the test-only root prefix). No action carries a secret:
 * the registry config is read from the environment only when it is written.
 */

export type Component = "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" | "kubelet" | "kube-proxy";

export type Action =
  /** Runs a program of the component's image (update-alternatives, modprobe); failure is a warning. */
  | { do: "run"; argv: string[]; why: string }
  /** Something the original would do that is skipped here, and why (logged once). */
  | { do: "skip"; what: string; why: string }
  /** The Azure cloud-config fix-up (azure.ts). */
  | { do: "azure-cloud-config" }
  | { do: "umount"; target: string }
  | { do: "rbind"; source: string; target: string }
  | { do: "bind"; source: string; target: string }
  /**
   * Remount read-write, keeping the mount's other per-mount flags and the filesystem's own options
   * (`data`), as mount(8) does from mountinfo: a cgroup2 remount without them would clear
   * nsdelegate and memory_recursiveprot for the whole host.
   */
  | { do: "remount-rw"; target: string; options: string[]; data?: string }
  | { do: "mkdir"; path: string }
  /** chcon -Rt <type> <path>: SELinux type of a tree (only on SELinux hosts; selinux.ts). */
  | { do: "relabel"; path: string; type: string }
  /** Creates an empty file when missing (a bind-mount target). */
  | { do: "touch"; path: string }
  /** Writes a /proc/sys value (sysctl -w). */
  | { do: "sysctl"; key: string; value: string }
  /** ln -sf target path */
  | { do: "symlink"; target: string; path: string }
  /** Decodes RKE_KUBELET_DOCKER_CONFIG (base64) into `path`; the content is never logged. */
  | { do: "registry-config"; path: string }
  /** execve: the component replaces this process (same PID). */
  | { do: "exec"; argv: string[] }
  /**
   * cri-dockerd and kubelet as two children with `wait -n` semantics: `second` starts once
   * `readySocket` exists (at most `readyTimeoutMs`), signals go to both, the first exit ends both
   * and its status is ours.
   */
  | { do: "supervise"; first: string[]; second: string[]; readySocket?: string; readyTimeoutMs: number };

export type ActionKind = Action["do"];
