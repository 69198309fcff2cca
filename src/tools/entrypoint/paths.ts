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
import { isKnobSet, readKnob, type Env } from "../../env/knob.ts";
import { KUBERNETES_DIR } from "../../fs/paths.ts";
import { AZURE_AAD_URL, AZURE_ARM_URL, AZURE_IMDS_URL, DOCKER_SOCK, EC2_IMDS_URL, ENTRYPOINT_ROOT, PROC_DIR } from "./knobs.ts";

export type { Env };

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
  const root = readKnob(env, ENTRYPOINT_ROOT);
  return {
    root,
    proc: readKnob(env, PROC_DIR),
    dockerSock: readKnob(env, DOCKER_SOCK) ?? `${root}/var/run/docker.sock`,
    // The cloud-config follows RKE_TOOLS_KUBERNETES_DIR when a test sets it, else the root.
    cloudConfig: join(isKnobSet(env, KUBERNETES_DIR) ? readKnob(env, KUBERNETES_DIR) : `${root}/etc/kubernetes`, "cloud-config"),
    ec2Imds: readKnob(env, EC2_IMDS_URL),
    azureImds: readKnob(env, AZURE_IMDS_URL),
    azureAad: readKnob(env, AZURE_AAD_URL),
    azureArm: readKnob(env, AZURE_ARM_URL),
  };
}

/** A container path (absolute) under the root prefix. */
export function at(paths: EntrypointPaths, containerPath: string): string {
  return paths.root + containerPath;
}
