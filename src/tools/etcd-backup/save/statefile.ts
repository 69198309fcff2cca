/**
 * Rolling mode's state file (docs/contract.md §o-7.1, §b-4, §d-17): the cluster state from the
 * Kubernetes API, written to /etc/kubernetes/<name>.rkestate (0600, atomically) so that the
 * archive carries it; removed again after the backup whatever happened (the original leaks one
 * per failed tick). A failure to fetch only warns: the snapshot is taken without it.
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { messageOf } from "../../../errors.ts";
import { writeFileAtomic } from "../../../fs/atomic.ts";
import type { Logger } from "../../../log/logger.ts";
import type { RetryPolicy } from "../../../retry/policy.ts";
import { stateFilePath } from "../../../snapshot/layout.ts";

/** src/kube's fetchClusterState: the pretty JSON text of the cluster state, or throws. */
export type ClusterStateFetcher = (kubeconfigPath: string, opts: { signal?: AbortSignal; retry: RetryPolicy; log: Logger }) => Promise<string>;

export const KUBECONFIG = "ssl/kubecfg-kube-node.yaml";

export function kubeconfigPath(kubernetesDir: string): string {
  return join(kubernetesDir, KUBECONFIG);
}

/** Writes the state file; returns its path, or undefined (after a warning) when there is none. */
export async function writeStateFile(
  kubernetesDir: string,
  name: string,
  fetch: ClusterStateFetcher,
  opts: { signal?: AbortSignal; retry: RetryPolicy; log: Logger },
): Promise<string | undefined> {
  const log = opts.log;
  log.debug("retrieveAndWriteStatefile called", { name });
  const path = stateFilePath(kubernetesDir, name);
  try {
    const json = await fetch(kubeconfigPath(kubernetesDir), { signal: opts.signal, retry: opts.retry, log: log.with({ name }) });
    await writeFileAtomic(path, json, { mode: 0o600 });
    log.info("Successfully written state file content to file", { filepath: path });
    return path;
  } catch (e) {
    opts.signal?.throwIfAborted();
    log.warn("Error while trying to retrieve cluster state from cluster", { error: messageOf(e), name });
    return undefined;
  }
}

export async function removeStateFile(path: string | undefined, log: Logger): Promise<void> {
  if (!path) return;
  await fsp.rm(path, { force: true }).catch((e) => log.warn("Removing statefile failed", { data: messageOf(e), error: messageOf(e) }));
}
