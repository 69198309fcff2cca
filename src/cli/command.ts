/**
 * Commands as data, on citty: a leaf command declares its Go-style flags once; the wrapper parses the
 * raw arguments with the Go grammar (go-flags.ts) — citty declares no args for it, so it does not
 * parse them a second time — and calls the command's `run`, which calls library code and returns an
 * exit code. That code (or SHOW_HELP) is the citty command's return value, which the shell reads
 * from `runCommand`.
 */
import { defineCommand, type ArgsDef, type CommandDef, type Resolvable } from "citty";

import type { Logger } from "../log/logger.ts";
import type { Flag, FlagValues } from "./flag.ts";
import { parseGoFlags } from "./go-flags.ts";

export interface RunContext<F extends readonly Flag[]> {
  flags: FlagValues<F>;
  /** Flags given on the command line (not from env or default). */
  set: Set<string>;
  /** Positional arguments after the flags. */
  args: string[];
  log: Logger;
  env: Record<string, string | undefined>;
  /** Aborted on SIGTERM/SIGINT. Long-running commands stop cleanly when it fires. */
  signal: AbortSignal;
}

export interface GoCommandSpec<F extends readonly Flag[]> {
  name: string;
  description: string;
  flags: F;
  aliases?: string[];
  hidden?: boolean;
  /** Returns the exit code (default 0) or throws; never calls process.exit. */
  run(ctx: RunContext<F>): Promise<number | void> | number | void;
}

/** What the shell hands each command through citty's `data`. */
export interface ShellData {
  log: Logger;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
}

/** A command's result asking the shell to print its help (`-h`, `--help`, `-help` among its flags). */
export const SHOW_HELP = Symbol("show help");
export type CommandResult = number | typeof SHOW_HELP;

const GO_FLAGS = Symbol.for("rke-tools.goFlags");

export function goFlagsOf(cmd: CommandDef<ArgsDef>): readonly Flag[] | undefined {
  return (cmd as { [GO_FLAGS]?: readonly Flag[] })[GO_FLAGS];
}

export function defineGoCommand<const F extends readonly Flag[]>(spec: GoCommandSpec<F>): CommandDef<ArgsDef> {
  const cmd: CommandDef<ArgsDef> = defineCommand({
    meta: { name: spec.name, description: spec.description, alias: spec.aliases, hidden: spec.hidden },
    run: async (ctx): Promise<CommandResult> => {
      const data = ctx.data as ShellData;
      const parsed = parseGoFlags(ctx.rawArgs, spec.flags, data.env);
      if (parsed.help) return SHOW_HELP;
      return (await spec.run({ ...parsed, flags: parsed.values, log: data.log, env: data.env, signal: data.signal })) ?? 0;
    },
  });
  (cmd as { [GO_FLAGS]?: readonly Flag[] })[GO_FLAGS] = spec.flags;
  return cmd;
}

/** A command group (e.g. `etcd-backup`) holding leaf commands. */
export function defineGroup(name: string, description: string, subCommands: Record<string, Resolvable<CommandDef<ArgsDef>>>) {
  return defineCommand({ meta: { name, description }, subCommands });
}
