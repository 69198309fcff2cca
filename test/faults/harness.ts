/**
 * Kill -9 at random points: a seeded random source (the seed is printed in the test names, and
 * RKE_TOOLS_FAULT_SEED=<seed> replays a run), and a killer that waits for observable progress of
 * the child (a file appearing, growing, a byte served) and then a few random milliseconds more.
 * The extra delay is fault timing, not synchronisation: the run is checked whatever point it hit.
 */
import { readdirSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { isTempName } from "../../src/fs/atomic.ts";
import { spawnTool, type SpawnedTool } from "../support/bin.ts";

/** The seed of this process: from RKE_TOOLS_FAULT_SEED, else random. */
export const SEED: number = process.env.RKE_TOOLS_FAULT_SEED ? Number(process.env.RKE_TOOLS_FAULT_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;

/** mulberry32: small, fast, good enough to spread kill points; deterministic per seed. */
export function rng(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(xs: readonly T[]): T } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), pick: (xs) => xs[Math.floor(next() * xs.length)]! };
}

/** A per-suite random source: each suite mixes its own label into the seed, so suites are independent. */
export function suiteRng(label: string) {
  let h = SEED;
  for (const c of label) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return rng(h);
}

/** Something to wait for before the random extra delay; resolves true when seen, false when the child exited first. */
export type Progress = (child: SpawnedTool) => Promise<boolean>;

/** Polls `cond` (bounded) until true, the child exits, or the deadline passes. */
export async function until(child: SpawnedTool, cond: () => boolean, ms = 20_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return false;
    if (Date.now() > deadline) throw new Error("no progress before the deadline");
    await Bun.sleep(1);
  }
}

const names = (dir: string) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/** Sizes of the files `pid` holds open that were in `dir` and are unlinked (Linux /proc). */
export function unlinkedFiles(pid: number, dir: string): number[] {
  const fdDir = `/proc/${pid}/fd`;
  const sizes: number[] = [];
  for (const fd of names(fdDir)) {
    try {
      const target = readlinkSync(join(fdDir, fd));
      if (target.startsWith(`${dir}/`) && target.endsWith(" (deleted)")) sizes.push(statSync(join(fdDir, fd)).size);
    } catch {
      // closed meanwhile
    }
  }
  return sizes;
}

/** Progress points that tests combine. */
export const at = {
  /** Right after the spawn: start-up, flag parsing, TLS set-up, health checks. */
  start: (): Progress => async () => true,
  /** A temporary file (src/fs/atomic.ts naming) exists in `dir`. */
  temp:
    (dir: string): Progress =>
    (c) =>
      until(c, () => names(dir).some(isTempName)),
  /** A temporary file in `dir` has at least `bytes` bytes. */
  tempBytes:
    (dir: string, bytes: number): Progress =>
    (c) =>
      until(c, () => names(dir).some((n) => isTempName(n) && (statSync(join(dir, n), { throwIfNoEntry: false })?.size ?? 0) >= bytes)),
  /** `path` exists (a final name appeared: the window between rename and exit). */
  file:
    (path: string): Progress =>
    (c) =>
      until(c, () => statSync(path, { throwIfNoEntry: false }) !== undefined),
  /**
   * The child holds open a file in `dir` that has no name any more (unlinked after creation, as
   * verify's copy of a database), of at least `bytes` bytes.
   */
  unlinkedIn:
    (dir: string, bytes = 0): Progress =>
    (c) =>
      until(c, () => unlinkedFiles(c.proc.pid, dir).some((size) => size >= bytes)),
  /** The child's stderr contains `text`. */
  log:
    (text: string): Progress =>
    (c) =>
      until(c, () => c.stderr().includes(text)),
  /** Any condition the test can observe (e.g. bytes a server has sent). */
  when:
    (cond: () => boolean): Progress =>
    (c) =>
      until(c, cond),
};

export interface KillOutcome {
  /** The point waited for, as named by the test. */
  point: string;
  delayMs: number;
  /** True when SIGKILL ended the process; false when it exited on its own first. */
  killed: boolean;
  code: number | null;
  stderr: string;
}

/** Runs the executable, waits for `progress`, sleeps `delayMs`, sends SIGKILL, waits for the end. */
export async function killDuring(
  tool: string,
  args: string[],
  opts: { env: Record<string, string | undefined>; progress: Progress; point: string; delayMs: number },
): Promise<KillOutcome> {
  const child = spawnTool(tool, args, { env: opts.env });
  try {
    if (await opts.progress(child)) {
      if (opts.delayMs > 0) await Bun.sleep(opts.delayMs);
      child.proc.kill("SIGKILL");
    }
  } catch (e) {
    child.proc.kill("SIGKILL");
    await child.done;
    throw e;
  }
  const r = await child.done;
  const killed = child.proc.signalCode === "SIGKILL";
  return { point: opts.point, delayMs: opts.delayMs, killed, code: killed ? null : r.code, stderr: r.stderr };
}

/** Counts of a series of kill runs, for the test log and docs/faults.md. */
export class Tally {
  readonly rows: KillOutcome[] = [];
  add(o: KillOutcome): void {
    this.rows.push(o);
  }
  get killed(): number {
    return this.rows.filter((r) => r.killed).length;
  }
  summary(label: string): string {
    const by = new Map<string, [number, number]>();
    for (const r of this.rows) {
      const v = by.get(r.point) ?? [0, 0];
      v[0]++;
      if (r.killed) v[1]++;
      by.set(r.point, v);
    }
    const parts = [...by].map(([p, [n, k]]) => `${p} ${k}/${n}`).join(", ");
    return `faults: ${label} (seed ${SEED}): ${this.rows.length} runs, ${this.killed} killed by SIGKILL (${parts})`;
  }
}
