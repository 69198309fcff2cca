/** Runs the compiled executable (built by test/run.ts) under a tool name. */
import { existsSync } from "node:fs";
import { binaryPath, distDir } from "../../compile/build.ts";
import { join } from "node:path";
import { recordOutput } from "./secrets.ts";

export const BIN = binaryPath("x64");

export function toolPath(name: string): string {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run the tests with 'npm test' (it builds first)`);
  return join(distDir("x64"), name);
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runTool(
  name: string,
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; stdin?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const proc = Bun.spawn([toolPath(name), ...args], {
    env: opts.env ?? { PATH: process.env.PATH },
    cwd: opts.cwd,
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
    timeout: opts.timeoutMs ?? 60_000,
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  recordOutput(`${name} ${args.join(" ")}`, stdout, stderr); // for the secrets sweep in test/run.ts
  return { code, stdout, stderr };
}

/** The last non-empty line a process wrote to stderr: what RKE reads (tail=1). */
export function lastLine(s: string): string {
  const lines = s.split("\n").filter((l) => l !== "");
  return lines[lines.length - 1] ?? "";
}
