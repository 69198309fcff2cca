/**
 * The cluster-state fetcher rolling mode uses: src/kube's fetchClusterState (topic `kube`) once
 * it has landed; until then every fetch fails, which only warns (the snapshot is still taken).
 */
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import type { ClusterStateFetcher } from "./statefile.ts";

export const fetchClusterState: ClusterStateFetcher = async () => {
  throw new RkeToolsError(ErrorCode.NotImplemented, "Failed to retrieve secret full-cluster-state: the Kubernetes client is not built yet");
};
