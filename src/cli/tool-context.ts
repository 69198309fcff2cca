/**
 * What every tool implements and what src/main.ts hands it. Here, under the tools, so that a
 * tool's main.ts depends on this contract and not on the registry (src/tools/tool.ts) that
 * imports it.
 */
import type { Logger } from "../log/logger.ts";

/** What src/main.ts hands a tool. A tool returns its exit code; it never calls process.exit. */
export interface ToolContext {
  /** The name the executable was invoked as (basename of argv0). */
  name: string;
  env: Record<string, string | undefined>;
  /** Aborted on the first SIGTERM or SIGINT. */
  signal: AbortSignal;
  /** The process's one logger on stderr, its format from the environment (src/log/from-env.ts). */
  log: Logger;
}

export type ToolMain = (argv: string[], ctx: ToolContext) => Promise<number>;
