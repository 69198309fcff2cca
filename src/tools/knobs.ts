/**
 * Every environment knob of every tool, in one list: for the README's table (`npm run docs:env`,
 * compile/docs-env.ts) and for the test that no `RKE_TOOLS_*` variable is read without being
 * declared (test/env/knobs.test.ts). Each knob is declared next to the code that reads it.
 */
import type { Knob } from "../env/knob.ts";
import { BACKUP_DIR, KUBERNETES_DIR, TMP_DIR } from "../fs/paths.ts";
import { LOG_FORMAT } from "../log/from-env.ts";
import { AZURE_AAD_URL, AZURE_ARM_URL, AZURE_IMDS_URL, DOCKER_SOCK, EC2_IMDS_URL, ENTRYPOINT_ROOT, PROC_DIR } from "./entrypoint/knobs.ts";
import { ARCHIVE_FORMAT, BACKUP_RETRY_INTERVAL, PROGRESS_INTERVAL, SAVE_DEFLATE, SERVE_HOSTS, SERVE_PORT } from "./etcd-backup/knobs.ts";
import { NGINX_CONF, NGINX_LISTEN, NGINX_LISTEN6, NGINX_UPSTREAM_PORT } from "./nginx-proxy/settings.ts";
import { CNI_BIN_DIR } from "./weave-plugins-cni/knobs.ts";

export const ALL_KNOBS: readonly Knob<unknown>[] = [
  LOG_FORMAT,
  ARCHIVE_FORMAT,
  PROGRESS_INTERVAL,
  BACKUP_DIR,
  KUBERNETES_DIR,
  TMP_DIR,
  BACKUP_RETRY_INTERVAL,
  SAVE_DEFLATE,
  SERVE_PORT,
  SERVE_HOSTS,
  ENTRYPOINT_ROOT,
  PROC_DIR,
  DOCKER_SOCK,
  EC2_IMDS_URL,
  AZURE_IMDS_URL,
  AZURE_AAD_URL,
  AZURE_ARM_URL,
  NGINX_CONF,
  NGINX_LISTEN,
  NGINX_LISTEN6,
  NGINX_UPSTREAM_PORT,
  CNI_BIN_DIR,
];

/** The README's table: operator knobs first, then the test-only ones, each in declaration order. */
export function renderKnobTable(knobs: readonly Knob<unknown>[] = ALL_KNOBS): string {
  const rows = [...knobs.filter((k) => k.audience === "operator"), ...knobs.filter((k) => k.audience === "test")].map(
    (k) => `| \`${k.name}\` | ${k.audience === "operator" ? "operators" : "tests only"} | ${k.readBy} | ${k.shows} | ${k.describe} |`,
  );
  return ["| variable | for | read by | default | what it does |", "|---|---|---|---|---|", ...rows].join("\n") + "\n";
}
