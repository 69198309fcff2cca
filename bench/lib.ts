/** Small measuring helpers shared by the benchmarks. */
import { spawnSync } from "node:child_process";

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Measured {
  wallMs: number;
  maxRssKiB: number;
  code: number;
}

/** Runs a command under GNU time when available (max RSS), else wall time only. */
export function measure(cmd: string[], opts: { env?: Record<string, string | undefined>; cwd?: string } = {}): Measured {
  const hasTime = spawnSync("sh", ["-c", "command -v /usr/bin/time"]).status === 0;
  const argv = hasTime ? ["/usr/bin/time", "-f", "%M", ...cmd] : cmd;
  const t = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { env: opts.env ?? process.env, cwd: opts.cwd, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
  const wallMs = performance.now() - t;
  const last = (r.stderr ?? "").trim().split("\n").pop() ?? "";
  return { wallMs, maxRssKiB: hasTime ? Number.parseInt(last, 10) || 0 : 0, code: r.status ?? -1 };
}

export const mib = (kib: number) => (kib / 1024).toFixed(1);
