/**
 * The cluster state a snapshot archive carries (docs/contract.md §b-4). Rolling mode fetches it from
 * the Kubernetes API (§o-7.1, §d-17) and hands the bytes to the archive writer in memory: unlike the
 * original, it never writes `/etc/kubernetes/<name>.rkestate` (a secret on disk for no reader).
 * A failure to fetch only warns: the snapshot is taken without it. `save --once` archives the file
 * RKE left and removes it afterwards.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { messageOf } from "../../../errors.ts";
import type { Logger } from "../../../log/logger.ts";
import type { RetryPolicy } from "../../../retry/policy.ts";

/** src/kube's fetchClusterState: the pretty JSON text of the cluster state, or throws. */
export type ClusterStateFetcher = (kubeconfigPath: string, opts: { signal?: AbortSignal; retry: RetryPolicy; log: Logger }) => Promise<string>;

export const KUBECONFIG = "ssl/kubecfg-kube-node.yaml";

export function kubeconfigPath(kubernetesDir: string): string {
  return join(kubernetesDir, KUBECONFIG);
}

/** The cluster state as UTF-8 bytes, or undefined (after a warning) when there is none. */
export async function fetchState(
  kubernetesDir: string,
  name: string,
  fetch: ClusterStateFetcher,
  opts: { signal?: AbortSignal; retry: RetryPolicy; log: Logger },
): Promise<Uint8Array | undefined> {
  const log = opts.log;
  log.debug("retrieveAndWriteStatefile called", { name });
  try {
    const json = await fetch(kubeconfigPath(kubernetesDir), { signal: opts.signal, retry: opts.retry, log: log.with({ name }) });
    const data = new TextEncoder().encode(json);
    log.info("Retrieved cluster state", { bytes: data.byteLength, name });
    return data;
  } catch (e) {
    opts.signal?.throwIfAborted();
    log.warn("Error while trying to retrieve cluster state from cluster", { error: messageOf(e), name });
    return undefined;
  }
}

/** Removes the state file RKE left for `save --once`, once it is in the archive. */
export async function removeStateFile(path: string | undefined, log: Logger): Promise<void> {
  if (!path) return;
  await fsp.rm(path, { force: true }).catch((e) => log.warn("Removing statefile failed", { data: messageOf(e), error: messageOf(e) }));
}
