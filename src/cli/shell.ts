/**
 * The only place that turns errors into exit codes and prints the final line. RKE reads only
 * the last stderr line of a one-shot container (docs/contract.md §d-6), so nothing is written after it.
 *
 * Resolution follows urfave/cli v1 as measured: no arguments or -h/--help prints help on stdout
 * (exit 0); an unknown command prints "No help topic for 'x'" on stderr (exit 3); a usage error
 * prints "Incorrect Usage: …" and the command's help on stdout and a fatal line on stderr (exit 1).
 */
import { writeSync } from "node:fs";
import { renderUsage, runCommand, type ArgsDef, type CommandDef, type CommandMeta } from "citty";
import { ErrorCode, isRkeToolsError } from "../errors.ts";
import { Logger } from "../log/logger.ts";
import { goFlagsOf, SHOW_HELP, type CommandResult, type ShellData } from "./command.ts";
import { reportFailure } from "./failure.ts";
import { describeFlag } from "./go-flags.ts";

export interface ShellOptions {
  env?: Record<string, string | undefined>;
  log?: Logger;
  /** Printed by --version at the top level. */
  version?: string;
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  signal?: AbortSignal;
}

type Cmd = CommandDef<ArgsDef>;

async function resolve<T>(v: T | Promise<T> | (() => T | Promise<T>) | undefined): Promise<T | undefined> {
  return typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;
}

async function subCommandsOf(cmd: Cmd): Promise<Record<string, Cmd>> {
  // Sub-commands may be lazy (`() => import(...)`), so that a tool loads only what runs.
  const subs = ((await resolve(cmd.subCommands)) ?? {}) as Record<string, Cmd | (() => Promise<Cmd>)>;
  const out: Record<string, Cmd> = {};
  for (const [name, sub] of Object.entries(subs)) out[name] = (await resolve(sub)) as Cmd;
  return out;
}

async function metaOf(cmd: Cmd): Promise<CommandMeta> {
  return (await resolve(cmd.meta)) ?? {};
}

async function findSub(cmd: Cmd, name: string): Promise<Cmd | undefined> {
  const lazy = ((await resolve(cmd.subCommands)) ?? {}) as Record<string, Cmd | (() => Promise<Cmd>)>;
  if (Object.hasOwn(lazy, name)) return (await resolve(lazy[name])) as Cmd;
  const subs = await subCommandsOf(cmd);
  for (const sub of Object.values(subs)) {
    const alias = (await metaOf(sub)).alias;
    if (alias === name || (Array.isArray(alias) && alias.includes(name))) return sub;
  }
  return undefined;
}

/** Help text: citty's rendering for groups, a urfave-like flag list for Go-flag commands. */
export async function helpText(cmd: Cmd, path: string[]): Promise<string> {
  const flags = goFlagsOf(cmd);
  if (!flags) {
    return stripAnsi(await renderUsage(cmd)) + "\n";
  }
  const meta = await metaOf(cmd);
  const lines = [`NAME:`, `   ${path.join(" ")} - ${meta.description ?? ""}`, ``, `USAGE:`, `   ${path.join(" ")} [command options] [arguments...]`, ``];
  if (flags.length > 0) {
    lines.push(`OPTIONS:`);
    const width = Math.max(...flags.map((f) => flagSyntax(f).length));
    for (const f of flags) lines.push(`   ${flagSyntax(f).padEnd(width)}  ${describeFlag(f)}`);
  }
  return lines.join("\n") + "\n";
}

function flagSyntax(f: { name: string; kind: string }): string {
  return f.kind === "bool" ? `--${f.name}` : `--${f.name} value`;
}

function stripAnsi(s: string): string {
  // citty colours its usage when it thinks a terminal is attached; logs and pipes want plain text.
  return s.replace(/\x1b\[[0-9;]*m/g, "");
}

export async function runShell(root: Cmd, argv: readonly string[], opts: ShellOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const out = opts.stdout ?? ((s: string) => void writeSync(1, s));
  const err = opts.stderr ?? ((s: string) => void writeSync(2, s));
  const log = opts.log ?? Logger.create();
  const signal = opts.signal ?? new AbortController().signal;

  let cmd = root;
  const rootName = (await metaOf(root)).name ?? "";
  const path = [rootName];
  let rest = [...argv];
  // Walk groups until a leaf command.
  while (!cmd.run) {
    const first = rest[0];
    if (first === undefined || first === "-h" || first === "--help" || first === "-help" || first === "help" || first === "h") {
      if ((first === "help" || first === "h") && rest[1]) {
        const target = await findSub(cmd, rest[1]);
        if (!target) {
          err(`No help topic for '${rest[1]}'\n`);
          return 3;
        }
        out(await helpText(target, [...path, rest[1]]));
        return 0;
      }
      out(await helpText(cmd, path));
      return 0;
    }
    if ((first === "--version" || first === "-version" || first === "-v") && cmd === root && opts.version) {
      out(`${rootName} version ${opts.version}\n`);
      return 0;
    }
    if (first.startsWith("-")) {
      const name = first.replace(/^--?/, "").split("=")[0];
      out(`Incorrect Usage. flag provided but not defined: -${name}\n\n${await helpText(cmd, path)}`);
      log.fatal(`flag provided but not defined: -${name}`);
      return 1;
    }
    const sub = await findSub(cmd, first);
    if (!sub) {
      err(`No help topic for '${first}'\n`);
      return 3;
    }
    cmd = sub;
    path.push(first);
    rest = rest.slice(1);
  }

  const data: ShellData = { log, env, signal };
  try {
    // The shell walked to the leaf itself: citty 0.2's nested runCommand passes neither `data` nor the result on.
    const { result } = (await runCommand(cmd, { rawArgs: rest, data })) as { result: CommandResult };
    if (result === SHOW_HELP) {
      out(await helpText(cmd, path));
      return 0;
    }
    return result;
  } catch (e) {
    if (isRkeToolsError(e, ErrorCode.Usage)) {
      out(`Incorrect Usage: ${e.message}\n\n${await helpText(cmd, path)}`);
      log.fatal(e.message);
      return 1;
    }
    return reportFailure(log, e);
  }
}
