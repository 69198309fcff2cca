/**
 * The command-line grammar of Go's `flag` package as urfave/cli v1 used it (docs/contract.md §o-2):
 * `-name x`, `--name x`, `-name=x`, `--name=x`; booleans only take `=value`; parsing stops at the
 * first argument that is not a flag (later flags are NOT parsed, as measured on the original);
 * `--` ends flags; the last repetition wins; env fallbacks apply when a flag is absent.
 */
import { ErrorCode, RkeToolsError, UsageError } from "../errors.ts";
import { formatDuration, parseDuration } from "../time/duration.ts";
import type { Flag, FlagValues } from "./flag.ts";

export interface ParsedFlags<F extends readonly Flag[]> {
  values: FlagValues<F>;
  /** Names of flags given on the command line (not from env or defaults). */
  set: Set<string>;
  /** Arguments after the flags. */
  args: string[];
  /** `-h`, `-help`, `--help` was given. */
  help: boolean;
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}

function parseGoInt(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number.parseInt(s, 10);
  if (!Number.isSafeInteger(n)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

/**
 * Per flag kind: Go's parser, what an empty env value means, and how a bad value is worded on the
 * command line (Go's `flag` package) and in the environment (urfave/cli v1.22's env fallback).
 */
interface Kind {
  parse(raw: string): unknown;
  /** An empty env value: false for a bool, the default (undefined) for a duration or an int. */
  emptyEnv: unknown;
  badArg(value: string, name: string): string;
  /** urfave's noun: `could not parse X as <noun> for flag N`. */
  envNoun: string;
}

const badValue = (value: string, name: string) => `invalid value ${JSON.stringify(value)} for flag -${name}: parse error`;

const KINDS: Record<Flag["kind"], Kind> = {
  string: { parse: (raw) => raw, emptyEnv: "", badArg: badValue, envNoun: "string" },
  bool: { parse: parseGoBool, emptyEnv: false, badArg: (value, name) => `invalid boolean value ${JSON.stringify(value)} for -${name}: parse error`, envNoun: "bool value" },
  duration: { parse: parseDuration, emptyEnv: undefined, badArg: badValue, envNoun: "duration" },
  int: { parse: parseGoInt, emptyEnv: undefined, badArg: badValue, envNoun: "int value" },
};

function parseOr(kind: Kind, raw: string, fail: (e: Error) => Error): unknown {
  try {
    return kind.parse(raw);
  } catch (e) {
    throw fail(e as Error);
  }
}

/** Env fallback exactly as urfave/cli v1.22 applies it, with its error wording. */
function fromEnv(flag: Flag, env: Record<string, string | undefined>): unknown {
  const raw = flag.env === undefined ? undefined : env[flag.env];
  if (raw === undefined) return undefined;
  const kind = KINDS[flag.kind];
  if (raw === "") return kind.emptyEnv;
  return parseOr(kind, raw, (e) => new RkeToolsError(ErrorCode.InvalidInput, `could not parse ${raw} as ${kind.envNoun} for flag ${flag.name}: ${e.message}`, { cause: e }));
}

export function parseGoFlags<const F extends readonly Flag[]>(argv: readonly string[], flags: F, env: Record<string, string | undefined> = process.env): ParsedFlags<F> {
  const byName = new Map<string, Flag>(flags.map((f) => [f.name, f]));
  const values: Record<string, unknown> = {};
  for (const f of flags) values[f.name] = fromEnv(f, env) ?? f.default;
  const set = new Set<string>();
  let help = false;
  let i = 0;
  while (i < argv.length) {
    const s = argv[i]!;
    if (s.length < 2 || s[0] !== "-") break;
    let minuses = 1;
    if (s[1] === "-") {
      minuses = 2;
      if (s.length === 2) {
        i++;
        break;
      }
    }
    let name = s.slice(minuses);
    // Go echoes the whole argument; what follows '=' may be a secret meant for a misspelled flag.
    if (name.length === 0 || name[0] === "-" || name[0] === "=") throw new UsageError(`bad flag syntax: ${withoutValue(s)}`);
    i++;
    let value: string | undefined;
    const eq = name.indexOf("=");
    if (eq > 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const flag = byName.get(name);
    if (!flag) {
      if (name === "help" || name === "h") {
        help = true;
        continue;
      }
      throw new UsageError(`flag provided but not defined: -${name}`);
    }
    if (flag.kind === "bool") value ??= "true";
    else if (value === undefined) {
      if (i >= argv.length) throw new UsageError(`flag needs an argument: -${name}`);
      value = argv[i]!;
      i++;
    }
    const kind = KINDS[flag.kind];
    const given = value; // for the closure
    values[name] = parseOr(kind, given, (e) => new UsageError(kind.badArg(given, name), { cause: e }));
    set.add(name);
  }
  return { values: values as FlagValues<F>, set, args: argv.slice(i), help };
}

/** One help line per flag, urfave style: `--name value  usage (default: x) [$ENV]`. */
export function describeFlag(flag: Flag): string {
  const def =
    flag.hideDefault || flag.kind === "bool"
      ? ""
      : flag.kind === "duration"
        ? ` (default: ${formatDuration(flag.default)})`
        : flag.kind === "int"
          ? ` (default: ${flag.default})`
          : flag.default !== ""
            ? ` (default: ${JSON.stringify(flag.default)})`
            : "";
  const env = flag.env ? ` [$${flag.env}]` : "";
  return `${flag.usage}${def}${env}`;
}

/** `---s3-secretKey=…`: the argument up to its first '=', the value left out. */
function withoutValue(arg: string): string {
  const eq = arg.indexOf("=");
  return eq < 0 ? arg : `${arg.slice(0, eq + 1)}…`;
}
