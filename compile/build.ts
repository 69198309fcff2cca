/**
 * Builds the one multi-call executable per Linux architecture into dist/linux-<arch>/rke-tools,
 * with a symlink per tool name beside it. glibc targets (the musl builds need libstdc++ as well).
 * `--bytecode` halves start-up (node:zlib alone costs ~15 ms at import otherwise). Never strip the
 * result: stripping removes the embedded program.
 *
 *   bun compile/build.ts              # linux-x64 and linux-arm64
 *   bun compile/build.ts --host-only  # linux-x64 only (what the tests need)
 *
 * The arm64 runtime comes from the npm registry on first use and is cached in ~/.bun.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { TOOLS } from "../src/tools/tool.ts";

export const ROOT = resolve(import.meta.dir, "..");
export const ARCHES = ["x64", "arm64"] as const;
export type Arch = (typeof ARCHES)[number];

export function distDir(arch: Arch): string {
  return join(ROOT, "dist", `linux-${arch}`);
}

export function binaryPath(arch: Arch = "x64"): string {
  return join(distDir(arch), "rke-tools");
}

function gitCommit(): string {
  const r = spawnSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: ROOT, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "unknown";
}

export function build(arch: Arch): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const dir = distDir(arch);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const out = binaryPath(arch);
  const args = [
    "build",
    "--compile",
    "--bytecode",
    "--minify-syntax",
    `--target=bun-linux-${arch}`,
    `--define=RKE_TOOLS_VERSION=${JSON.stringify(pkg.version)}`,
    `--define=RKE_TOOLS_COMMIT=${JSON.stringify(gitCommit())}`,
    "--outfile",
    out,
    join(ROOT, "src/main.ts"),
  ];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bun build for linux-${arch} failed (exit ${r.status})`);
  for (const name of Object.keys(TOOLS)) symlinkSync("rke-tools", join(dir, name));
  return out;
}

if (import.meta.main) {
  const hostOnly = process.argv.includes("--host-only");
  for (const arch of hostOnly ? (["x64"] as const) : ARCHES) {
    const t = performance.now();
    const out = build(arch);
    process.stdout.write(`built ${out} in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
}
