/**
 * Production paths. Tests relocate them through env so that they run without root; nothing in
 * the image sets these names (docs/contract.md §d-9: image ENV must not collide with what RKE passes).
 */
import { knob, readKnob, type Env } from "../env/knob.ts";
import { absolutePath } from "../env/parse.ts";

export const BACKUP_DIR = knob({
  name: "RKE_TOOLS_BACKUP_DIR",
  audience: "test",
  readBy: "rke-etcd-backup",
  shows: "`/backup`",
  fallback: "/backup",
  parse: absolutePath,
  describe: "relocates `/backup` (the snapshots folder)",
});
export const KUBERNETES_DIR = knob({
  name: "RKE_TOOLS_KUBERNETES_DIR",
  audience: "test",
  readBy: "rke-etcd-backup, entrypoint.sh, cloud-provider.sh",
  shows: "`/etc/kubernetes`",
  fallback: "/etc/kubernetes",
  parse: absolutePath,
  describe: "relocates `/etc/kubernetes` (state files, certificates, the Azure cloud-config)",
});
export const TMP_DIR = knob({
  name: "RKE_TOOLS_TMP_DIR",
  audience: "test",
  readBy: "rke-etcd-backup, weave-plugins-cni.sh",
  shows: "`/tmp`",
  fallback: "/tmp",
  parse: absolutePath,
  describe: "relocates `/tmp` (extractstatefile's `cluster.rkestate`, the CNI plugins to deploy)",
});

export interface Paths {
  /** Snapshots: /opt/rke/etcd-snapshots on the host, mounted as /backup. */
  backup: string;
  /** /etc/kubernetes: state files and certificates. */
  kubernetes: string;
  /** /tmp: where extractstatefile leaves cluster.rkestate. */
  tmp: string;
}

export function pathsFrom(env: Env = process.env): Paths {
  return { backup: readKnob(env, BACKUP_DIR), kubernetes: readKnob(env, KUBERNETES_DIR), tmp: readKnob(env, TMP_DIR) };
}
