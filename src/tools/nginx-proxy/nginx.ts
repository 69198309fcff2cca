/** Checking the written config with `nginx -t`, then becoming nginx (exec, same PID). */
import { accessSync, constants } from "node:fs";
import { dirname, join } from "node:path";
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { execve, findExecutable } from "../../sys/index.ts";
import type { NginxSettings } from "./settings.ts";

/** Arguments after the program name: the original's `-g 'daemon off;'`, plus test relocation. */
export function nginxArgs(s: NginxSettings): string[] {
  if (!s.relocated) return ["-g", "daemon off;"];
  return ["-c", s.confPath, "-g", `daemon off; pid ${pidPath(s)};`];
}

/** Where a relocated (test) nginx writes its PID: beside its config. */
export function pidPath(s: NginxSettings): string {
  return join(dirname(s.confPath), "nginx.pid");
}

/** The nginx program, or undefined when it is not installed. */
export function locateNginx(s: NginxSettings, path: string | undefined): string | undefined {
  try {
    const found = findExecutable(s.nginx, path);
    accessSync(found, constants.X_OK); // a name with '/' is taken as is by findExecutable
    return found;
  } catch {
    return undefined;
  }
}

/**
 * `nginx -t -c <file>` on the config before it takes its final name: throws with nginx's own
 * complaint (its [emerg] line, naming the final path) when nginx refuses it.
 */
export async function testConfig(nginx: string, file: string, s: NginxSettings, opts: { signal?: AbortSignal; env?: Record<string, string | undefined> } = {}): Promise<void> {
  const pid = s.relocated ? ` pid ${pidPath(s)};` : "";
  const proc = Bun.spawn([nginx, "-t", "-c", file, "-g", `daemon off;${pid}`], { stdin: "ignore", stdout: "pipe", stderr: "pipe", signal: opts.signal, env: opts.env });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code === 0) return;
  const lines = `${err}\n${out}`
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const complaint = lines.find((l) => /\[(emerg|alert|crit|error)\]/.test(l)) ?? lines[0] ?? `exit status ${code}`;
  // "2026/01/02 03:04:05 [emerg] 123#123: msg" → "[emerg] msg"; the temporary name → the final one.
  const why = complaint.replace(/^.*?(\[\w+\]) \d+#\d+: /, "$1 ").replaceAll(file, s.confPath);
  throw new RkeToolsError(ErrorCode.Exec, `Cannot start nginx: ${s.confPath} failed nginx -t: ${why}`);
}

/** Replaces this process with nginx in the foreground. Never returns. */
export function execNginx(nginx: string, s: NginxSettings, env: Record<string, string | undefined>): never {
  return execve(nginx, ["nginx", ...nginxArgs(s)], env);
}
