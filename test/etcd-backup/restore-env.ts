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

import { toolPath } from "../support/bin.ts";

export interface ServeProcess {
  port: number;
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves when stderr has a line matching `re` (or rejects when the process ends first). */
  waitFor(re: RegExp): Promise<string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

/**
 * Starts `rke-etcd-backup etcd-backup serve` on a free loopback port (test-only RKE_TOOLS_SERVE_PORT=0
 * and RKE_TOOLS_SERVE_HOSTS) and resolves once it logs that it listens, or with the exit code if it
 * fails to start.
 */
export async function startServe(
  env: Record<string, string | undefined>,
  args: string[],
  opts: { hosts?: string; port?: number } = {},
): Promise<ServeProcess | { code: number; stderr: string }> {
  const proc = Bun.spawn([toolPath("rke-etcd-backup"), "etcd-backup", "serve", ...args], {
    env: { ...env, RKE_TOOLS_SERVE_PORT: String(opts.port ?? 0), RKE_TOOLS_SERVE_HOSTS: opts.hosts ?? "127.0.0.1,::1" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const waiters: { re: RegExp; resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const line = text.split("\n").find((l) => w.re.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  const ended = (async () => {
    const dec = new TextDecoder();
    for await (const c of proc.stderr) {
      text += dec.decode(c, { stream: true });
      check();
    }
    const code = await proc.exited;
    for (const w of waiters.splice(0)) w.reject(new Error(`serve exited with ${code} before /${w.re.source}/:\n${text}`));
    return code;
  })();
  const waitFor = (re: RegExp) =>
    new Promise<string>((resolve, reject) => {
      waiters.push({ re, resolve, reject });
      check();
    });
  try {
    const line = await waitFor(/msg="Serving .* on port \d+"/);
    const port = Number(/on port (\d+)/.exec(line)![1]);
    return {
      port,
      proc,
      stderr: () => text,
      waitFor,
      stop: async () => {
        proc.kill("SIGTERM");
        return ended;
      },
    };
  } catch {
    return { code: await ended, stderr: text };
  }
}

export function isServing(s: ServeProcess | { code: number; stderr: string }): s is ServeProcess {
  return "port" in s;
}
