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

export interface SpawnedTool {
  proc: ReturnType<typeof Bun.spawn>;
  /** Output so far (grows while the process runs). */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited and its output is read (and recorded for the sweep). */
  done: Promise<RunResult>;
}

/**
 * Starts the compiled executable and returns at once, with the child's handle (for tests that
 * signal or kill it) and its output; the output is recorded for the secrets sweep like runTool's.
 */
export function spawnTool(name: string, args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): SpawnedTool {
  const proc = Bun.spawn([toolPath(name), ...args], {
    env: opts.env ?? { PATH: process.env.PATH },
    cwd: opts.cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    timeout: opts.timeoutMs ?? 60_000,
  });
  let out = "";
  let err = "";
  const drain = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    const dec = new TextDecoder();
    for await (const chunk of s) add(dec.decode(chunk, { stream: true }));
  };
  const done = Promise.all([drain(proc.stdout, (t) => (out += t)), drain(proc.stderr, (t) => (err += t)), proc.exited]).then(([, , code]) => {
    recordOutput(`${name} ${args.join(" ")}`, out, err); // for the secrets sweep in test/run.ts
    return { code, stdout: out, stderr: err };
  });
  return { proc, stdout: () => out, stderr: () => err, done };
}
