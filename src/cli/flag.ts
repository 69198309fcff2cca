/**
 * Flags declared as data. A command lists the flags it takes; the same declaration drives parsing
 * (go-flags.ts), env fallbacks, and the help text.
 */
import type { Duration } from "../time/duration.ts";

export type FlagKind = "string" | "bool" | "duration" | "int";

interface FlagBase<K extends FlagKind, V> {
  kind: K;
  /** Long name as the original spells it: `s3-bucketName`, not `s3-bucket-name`. */
  name: string;
  usage: string;
  /** Env var read when the flag is absent (urfave/cli v1 EnvVar). */
  env?: string;
  default: V;
  /** Shown in help instead of the default value (e.g. for secrets). */
  hideDefault?: boolean;
}

export type StringFlag = FlagBase<"string", string>;
export type BoolFlag = FlagBase<"bool", boolean>;
export type DurationFlag = FlagBase<"duration", Duration>;
export type IntFlag = FlagBase<"int", number>;
export type Flag = StringFlag | BoolFlag | DurationFlag | IntFlag;

type ValueOf<F> = F extends FlagBase<FlagKind, infer V> ? V : never;

/** Values parsed for a list of flags, keyed by flag name. */
export type FlagValues<F extends readonly Flag[]> = { [K in F[number] as K["name"]]: ValueOf<K> };

export const stringFlag = <const N extends string>(name: N, usage: string, opts: { env?: string; default?: string; hideDefault?: boolean } = {}) =>
  ({ kind: "string", name, usage, env: opts.env, default: opts.default ?? "", hideDefault: opts.hideDefault }) as const satisfies StringFlag;

export const boolFlag = <const N extends string>(name: N, usage: string, opts: { env?: string } = {}) =>
  ({ kind: "bool", name, usage, env: opts.env, default: false as boolean }) as const satisfies BoolFlag;

export const durationFlag = <const N extends string>(name: N, usage: string, def: Duration, opts: { env?: string } = {}) =>
  ({ kind: "duration", name, usage, env: opts.env, default: def }) as const satisfies DurationFlag;

export const intFlag = <const N extends string>(name: N, usage: string, def: number, opts: { env?: string } = {}) =>
  ({ kind: "int", name, usage, env: opts.env, default: def }) as const satisfies IntFlag;
