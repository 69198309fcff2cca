/**
 * The command line as a user sees it — help, usage errors, bad input — recorded once and compared
 * on every run, so that a refactor that changes a word of it fails (issue #17: "the CLI transcripts
 * are identical"). Re-record on purpose only: `bun test/cli/record-transcripts.ts` after a build.
 */
import { join } from "node:path";
import { runTool } from "../support/bin.ts";

export const TRANSCRIPTS_DIR = join(import.meta.dir, "transcripts");

/** Paths that exist nowhere, so that the transcripts do not depend on the machine. */
const NOWHERE = {
  RKE_TOOLS_BACKUP_DIR: "/nonexistent/backup",
  RKE_TOOLS_KUBERNETES_DIR: "/nonexistent/kubernetes",
  RKE_TOOLS_TMP_DIR: "/nonexistent/tmp",
};

export interface Case {
  id: string;
  tool: string;
  args: string[];
  env?: Record<string, string>;
}

const EBK = "rke-etcd-backup";
const SUBCOMMANDS = ["save", "delete", "download", "extractstatefile", "serve", "list", "verify", "convert"];

export const CASES: Case[] = [
  { id: "rke-tools-help", tool: "rke-tools", args: ["--help"] },
  { id: "rke-tools-unknown", tool: "rke-tools", args: ["nope"] },
  { id: "etcd-backup-bare", tool: EBK, args: [] },
  { id: "etcd-backup-help", tool: EBK, args: ["--help"] },
  ...SUBCOMMANDS.map((c) => ({ id: `etcd-backup-${c}-help`, tool: EBK, args: ["etcd-backup", c, "--help"] })),
  { id: "etcd-backup-unknown-command", tool: EBK, args: ["etcd-backup", "nope"] },
  { id: "etcd-backup-unknown-flag", tool: EBK, args: ["etcd-backup", "save", "--nope"] },
  { id: "etcd-backup-unknown-flag-json", tool: EBK, args: ["etcd-backup", "save", "--nope"], env: { RKE_TOOLS_LOG_FORMAT: "json" } },
  { id: "save-retention-zero", tool: EBK, args: ["etcd-backup", "save", "--retention=0"] },
  { id: "save-no-certs", tool: EBK, args: ["etcd-backup", "save", "--once", "--name=x"] },
  { id: "download-no-endpoint", tool: EBK, args: ["etcd-backup", "download", "--name=x"] },
  { id: "download-no-certs", tool: EBK, args: ["etcd-backup", "download", "--name=x", "--local-endpoint=[::1", "--cacert=/nonexistent"] },
  { id: "download-s3-bad-endpoint", tool: EBK, args: ["etcd-backup", "download", "--s3-backup", "--name=x", "--s3-endpoint=http://[::1", "--s3-bucketName=b"] },
  { id: "download-s3-no-bucket", tool: EBK, args: ["etcd-backup", "download", "--s3-backup", "--name=x", "--s3-endpoint=127.0.0.1:1"] },
  { id: "verify-missing", tool: EBK, args: ["etcd-backup", "verify", "--name=nosuch"] },
  { id: "list-no-backup-folder", tool: EBK, args: ["etcd-backup", "list"] },
  { id: "extractstatefile-missing", tool: EBK, args: ["etcd-backup", "extractstatefile", "--name=nosuch"] },
  { id: "serve-no-certs", tool: EBK, args: ["etcd-backup", "serve", "--name=x"] },
  { id: "nginx-proxy-help", tool: "nginx-proxy", args: ["--help"] },
  { id: "nginx-proxy-no-hosts", tool: "nginx-proxy", args: [] },
  { id: "nginx-proxy-bad-host", tool: "nginx-proxy", args: [], env: { CP_HOSTS: "a:b:c" } },
  { id: "nginx-proxy-empty-host", tool: "nginx-proxy", args: [], env: { CP_HOSTS: ",,x" } },
  { id: "cert-deployer-help", tool: "cert-deployer", args: ["--help"] },
  { id: "entrypoint-help", tool: "entrypoint.sh", args: ["--help"] },
  { id: "entrypoint-no-command", tool: "entrypoint.sh", args: [] },
  { id: "cloud-provider-help", tool: "cloud-provider.sh", args: ["--help"] },
  { id: "share-mnt-help", tool: "share-mnt", args: ["--help"] },
  { id: "weave-plugins-cni-help", tool: "weave-plugins-cni.sh", args: ["--help"] },
];

/** What changes from run to run (clock, durations, build) is replaced by a fixed word. */
export function normalize(text: string): string {
  return text
    .replace(/time="[^"]*"/g, 'time="T"')
    .replace(/"time":"[^"]*"/g, '"time":"T"')
    .replace(/\bruntime=\S+/g, "runtime=D")
    .replace(/\d+\.\d+\.\d+ \(commit [0-9a-f]+\)/g, "VERSION (commit C)");
}

/** One invocation as a transcript: the command, both streams, the exit code. */
export async function transcript(c: Case): Promise<string> {
  const r = await runTool(c.tool, c.args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...NOWHERE, ...c.env } });
  const env = Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${v} `);
  return normalize(`$ ${env.join("")}${[c.tool, ...c.args].join(" ")}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}--- exit ${r.code}\n`);
}
