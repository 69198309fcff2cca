/** Relocated /backup, /etc/kubernetes and /tmp for one test file, and the env that points the binary at them. */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RestoreDirs {
  root: string;
  backup: string;
  kubernetes: string;
  tmp: string;
  env: Record<string, string | undefined>;
  cleanup(): void;
}

export function restoreDirs(label: string): RestoreDirs {
  const root = mkdtempSync(join(tmpdir(), `rke-${label}-`));
  const backup = join(root, "backup");
  const kubernetes = join(root, "kubernetes");
  const tmp = join(root, "tmp");
  for (const d of [backup, kubernetes, tmp]) mkdirSync(d);
  return {
    root,
    backup,
    kubernetes,
    tmp,
    env: { PATH: process.env.PATH, RKE_TOOLS_BACKUP_DIR: backup, RKE_TOOLS_KUBERNETES_DIR: kubernetes, RKE_TOOLS_TMP_DIR: tmp },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** The `msg` of each logrus text line. */
export function messages(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((l) => l.includes("msg="))
    .map((l) => {
      const m = /msg=("(?:[^"\\]|\\.)*"|\S+)/.exec(l)!;
      return m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!;
    });
}
