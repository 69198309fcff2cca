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
  /** User + system CPU seconds of the command (GNU time); 0 without it. */
  cpuS: number;
  code: number;
}

/** Runs a command under GNU time when available (max RSS), else wall time only. */
export function measure(cmd: string[], opts: { env?: Record<string, string | undefined>; cwd?: string } = {}): Measured {
  const hasTime = spawnSync("sh", ["-c", "command -v /usr/bin/time"]).status === 0;
  const argv = hasTime ? ["/usr/bin/time", "-f", "%M %U %S", ...cmd] : cmd;
  const t = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { env: opts.env ?? process.env, cwd: opts.cwd, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
  const wallMs = performance.now() - t;
  const [rss, user, sys] = ((r.stderr ?? "").trim().split("\n").pop() ?? "").split(" ").map(Number);
  return { wallMs, maxRssKiB: hasTime ? rss || 0 : 0, cpuS: hasTime ? (user || 0) + (sys || 0) : 0, code: r.status ?? -1 };
}

export const mib = (kib: number) => (kib / 1024).toFixed(1);

export interface RssSplit {
  /** Peak resident set (VmHWM), KiB. */
  peakKiB: number;
  /** Largest anonymous part seen (heaps, buffers), KiB. */
  anonKiB: number;
  /** Largest file-backed part seen (the executable's own mapped pages: clean, shared, reclaimable), KiB. */
  fileKiB: number;
  code: number;
}

/**
 * Runs a command and samples /proc/<pid>/status every 50 ms: VmHWM, and the largest RssAnon and
 * RssFile seen, which tell the process's own memory from the pages of its executable.
 */
export async function rssSplit(cmd: string[], env: Record<string, string | undefined>): Promise<RssSplit> {
  const proc = Bun.spawn(cmd, { env, stdout: "ignore", stderr: "ignore" });
  const split = { peakKiB: 0, anonKiB: 0, fileKiB: 0 };
  const sample = async () => {
    const text = await Bun.file(`/proc/${proc.pid}/status`)
      .text()
      .catch(() => "");
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
    split.peakKiB = Math.max(split.peakKiB, kib("VmHWM"));
    split.anonKiB = Math.max(split.anonKiB, kib("RssAnon"));
    split.fileKiB = Math.max(split.fileKiB, kib("RssFile"));
  };
  let done = false;
  const exited = proc.exited.then((c) => ((done = true), c));
  while (!done) {
    await sample();
    await Promise.race([exited, Bun.sleep(50)]);
  }
  return { ...split, code: await exited };
}
