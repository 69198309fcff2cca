/**
 * The container engine that builds and runs the image: podman or docker, whichever is on PATH
 * (podman first: it needs no daemon). Podman gets `--runtime runc` when runc is installed (crun
 * fails on hosts with hybrid cgroups: "cgroups in hybrid mode not supported").
 */
import { spawnSync } from "node:child_process";

export interface Engine {
  name: "podman" | "docker";
  path: string;
  /** global flags before the sub-command */
  global: string[];
}

export function findEngine(prefer?: string): Engine | undefined {
  const order = prefer ? [prefer] : ["podman", "docker"];
  for (const name of order) {
    if (name !== "podman" && name !== "docker") continue;
    const path = Bun.which(name);
    if (!path) continue;
    const global = name === "podman" && Bun.which("runc") ? ["--runtime", "runc"] : [];
    return { name, path, global };
  }
  return undefined;
}

export interface EngineResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `engine args…`; never throws. */
export function engineTry(engine: Engine, args: string[], opts: { input?: string; timeoutMs?: number } = {}): EngineResult {
  const r = spawnSync(engine.path, [...engine.global, ...args], {
    encoding: "utf8",
    input: opts.input,
    timeout: opts.timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Runs `engine args…` and throws one line naming `what` and the engine's last error line. */
export function engineRun(engine: Engine, args: string[], what: string, opts: { input?: string; timeoutMs?: number } = {}): string {
  const r = engineTry(engine, args, opts);
  if (r.status !== 0) throw new Error(`${what} failed: ${lastLine(r.stderr) || `${engine.name} exit ${r.status}`}`);
  return r.stdout;
}

export function lastLine(s: string): string {
  return (
    s
      .trim()
      .split("\n")
      .filter((l) => l.trim() !== "")
      .pop() ?? ""
  );
}

export function imageExists(engine: Engine, ref: string): boolean {
  return engineTry(engine, ["image", "inspect", "--format", "{{.Id}}", ref]).status === 0;
}

export interface ImageSizes {
  /** uncompressed bytes, as the engine reports them */
  total: number;
  /** newest first, as `history` lists them; empty layers (metadata only) left out */
  layers: { bytes: number; createdBy: string }[];
}

export function imageSizes(engine: Engine, ref: string): ImageSizes {
  const total = Number(engineRun(engine, ["image", "inspect", "--format", "{{.Size}}", ref], `inspecting ${ref}`).trim());
  const what = `listing the layers of ${ref}`;
  // podman's history prints sizes in bytes only as JSON; docker's JSON has them human-readable.
  const rows: { bytes: number; createdBy: string }[] =
    engine.name === "podman"
      ? (JSON.parse(engineRun(engine, ["history", "--format", "json", ref], what)) as { size: number; CreatedBy: string }[]).map((r) => ({ bytes: r.size, createdBy: r.CreatedBy }))
      : engineRun(engine, ["history", "--no-trunc", "--human=false", "--format", "{{.Size}}\t{{.CreatedBy}}", ref], what)
          .trim()
          .split("\n")
          .map((l) => ({ bytes: Number(l.split("\t")[0]), createdBy: l.split("\t").slice(1).join("\t") }));
  const layers = rows.filter((l) => l.bytes > 0).map((l) => ({ bytes: l.bytes, createdBy: l.createdBy.replace(/\s+/g, " ").trim() }));
  return { total, layers };
}

export function mb(bytes: number): string {
  return bytes < 100_000 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
