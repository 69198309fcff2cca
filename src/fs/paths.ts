/**
 * Production paths. Tests relocate them through env so that they run without root; nothing in
 * the image sets these names (docs/contract.md §d-9: image ENV must not collide with what RKE passes).
 */
export interface Paths {
  /** Snapshots: /opt/rke/etcd-snapshots on the host, mounted as /backup. */
  backup: string;
  /** /etc/kubernetes: state files and certificates. */
  kubernetes: string;
  /** /tmp: where extractstatefile leaves cluster.rkestate. */
  tmp: string;
}

export function pathsFrom(env: Record<string, string | undefined> = process.env): Paths {
  return {
    backup: env.RKE_TOOLS_BACKUP_DIR || "/backup",
    kubernetes: env.RKE_TOOLS_KUBERNETES_DIR || "/etc/kubernetes",
    tmp: env.RKE_TOOLS_TMP_DIR || "/tmp",
  };
}
