/**
 * The cluster-state fetcher rolling mode uses: src/kube's fetchClusterState (Secret, then
 * ConfigMap), loaded only when a rolling tick needs it so that `--once` never pays for it.
 */
import type { ClusterStateFetcher } from "./statefile.ts";

export const fetchClusterState: ClusterStateFetcher = async (kubeconfigPath, opts) => (await import("../../../kube/cluster-state.ts")).fetchClusterState(kubeconfigPath, opts);
