/**
 * What must hold after any fault: every file under a final name is complete. A zip passes a full
 * CRC read (`unzip -t`, independent of our code) and its snapshot entry ends with the SHA-256 of
 * everything before it; a raw snapshot ends with its SHA-256;
 * a state file is JSON. Only temporary names (src/fs/atomic.ts) may hold partial data.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isTempName } from "../../src/fs/atomic.ts";
import { hasCommand } from "../support/components.ts";

export const checkTools = [hasCommand("unzip", "apt-get install unzip")];

export interface DirCheck {
  /** Final names found, each checked. */
  finals: string[];
  /** Temporary names found (may be partial). */
  temps: string[];
  /** What is wrong, one line per problem; empty when every invariant holds. */
  problems: string[];
}

/** The snapshot trailer: last 32 bytes = SHA-256 of the rest. */
export function trailerOk(data: Uint8Array): boolean {
  if (data.byteLength <= 32) return false;
  const body = data.subarray(0, data.byteLength - 32);
  return Buffer.from(createHash("sha256").update(body).digest()).equals(Buffer.from(data.subarray(data.byteLength - 32)));
}

/** Checks one zip; returns problems (empty when complete and verified). */
export function checkZip(path: string, expectName?: string): string[] {
  const t = spawnSync("unzip", ["-tqq", path], { encoding: "utf8" }); // reads every entry, checks every CRC
  if (t.status !== 0) return [`${path}: unzip -t failed (${t.status}): ${(t.stdout + t.stderr).trim().split("\n").slice(-2).join(" | ")}`];
  const names = spawnSync("unzip", ["-Z1", path], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((n) => n !== "");
  const snaps = names.filter((n) => n.startsWith("/backup/"));
  if (snaps.length !== 1) return [`${path}: ${snaps.length} snapshot entries (${names.join(", ")})`];
  const problems: string[] = [];
  if (expectName !== undefined && snaps[0] !== `/backup/${expectName}`) problems.push(`${path}: entry ${snaps[0]}, expected /backup/${expectName}`);
  const body = spawnSync("unzip", ["-p", path, snaps[0]!], { maxBuffer: 1 << 30 });
  if (body.status !== 0) problems.push(`${path}: unzip -p ${snaps[0]} failed (${body.status})`);
  else if (!trailerOk(body.stdout)) problems.push(`${path}: entry ${snaps[0]} (${body.stdout.byteLength} bytes) fails its SHA-256 trailer`);
  for (const st of names.filter((n) => n.endsWith(".rkestate"))) {
    const text = spawnSync("unzip", ["-p", path, st], { encoding: "utf8", maxBuffer: 1 << 30 }).stdout;
    try {
      JSON.parse(text);
    } catch {
      problems.push(`${path}: entry ${st} is not JSON`);
    }
  }
  return problems;
}

/** Checks one raw snapshot file. */
export function checkRawSnapshot(path: string): string[] {
  return trailerOk(readFileSync(path)) ? [] : [`${path}: raw snapshot fails its SHA-256 trailer`];
}

export function checkStateFile(path: string): string[] {
  try {
    JSON.parse(readFileSync(path, "utf8"));
    return [];
  } catch (e) {
    return [`${path}: state file is not JSON (${(e as Error).message})`];
  }
}

/**
 * Checks every file in `dir`: `*.zip` as archives, `*.rkestate` as state files, names in `raw` as
 * raw snapshots; any other final name is a problem unless listed in `ignore` (fixtures).
 */
export function checkDir(dir: string, opts: { raw?: (name: string) => boolean; ignore?: string[] } = {}): DirCheck {
  const out: DirCheck = { finals: [], temps: [], problems: [] };
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (!lstatSync(p).isFile()) continue;
    if (isTempName(n)) {
      out.temps.push(n);
      continue;
    }
    if (opts.ignore?.includes(n)) continue;
    out.finals.push(n);
    if (n.endsWith(".zip")) out.problems.push(...checkZip(p, n.slice(0, -4)));
    else if (n.endsWith(".rkestate")) out.problems.push(...checkStateFile(p));
    else if (opts.raw?.(n)) out.problems.push(...checkRawSnapshot(p));
    else out.problems.push(`${p}: unexpected file`);
  }
  return out;
}
