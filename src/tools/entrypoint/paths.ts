/**
 * Where the entrypoint finds the host. In production every path is the container's own
 * (`/host/dev`, `/sys/fs/cgroup`, `/var/run/docker.sock`, `/opt/rke-tools`, `/etc/kubernetes`) and
 * the metadata services are the link-local ones.
 *
 * TEST ONLY: the env names below relocate all of it under a temporary root so that the executor
 * runs in a private mount namespace on tmpfs and the clients talk to loopback servers. Nothing in
 * the image or in RKE sets them (docs/contract.md §d-9).
 */
import { join } from "node:path";
import { pathsFrom } from "../../fs/paths.ts";

export type Env = Record<string, string | undefined>;

export interface EntrypointPaths {
  /** Prefix of every container path below ("" in production). */
  root: string;
  /** /proc: mountinfo, the process scan for systemd-resolved, /proc/sys. */
  proc: string;
  /** The Docker Engine API socket. */
  dockerSock: string;
  /** The Azure cloud-config file RKE writes. */
  cloudConfig: string;
  ec2Imds: string;
  azureImds: string;
  /** Overrides the cloud's AAD and ARM endpoints (otherwise chosen by the `cloud` name). */
  azureAad?: string;
  azureArm?: string;
}

export function entrypointPaths(env: Env): EntrypointPaths {
  const root = (env.RKE_TOOLS_ENTRYPOINT_ROOT ?? "").replace(/\/+$/, "");
  return {
    root,
    proc: env.RKE_TOOLS_PROC_DIR || "/proc",
    dockerSock: env.RKE_TOOLS_DOCKER_SOCK || `${root}/var/run/docker.sock`,
    cloudConfig: join(env.RKE_TOOLS_KUBERNETES_DIR ? pathsFrom(env).kubernetes : `${root}/etc/kubernetes`, "cloud-config"),
    ec2Imds: (env.RKE_TOOLS_EC2_IMDS_URL || "http://169.254.169.254").replace(/\/+$/, ""),
    azureImds: (env.RKE_TOOLS_AZURE_IMDS_URL || "http://169.254.169.254").replace(/\/+$/, ""),
    azureAad: env.RKE_TOOLS_AZURE_AAD_URL?.replace(/\/+$/, "") || undefined,
    azureArm: env.RKE_TOOLS_AZURE_ARM_URL?.replace(/\/+$/, "") || undefined,
  };
}

/** A container path (absolute) under the root prefix. */
export function at(paths: EntrypointPaths, containerPath: string): string {
  return paths.root + containerPath;
}
