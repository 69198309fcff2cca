/**
 * An environment knob: one `RKE_TOOLS_*` variable with its parser, its default and who it is for,
 * declared once beside its reader (src/tools/knobs.ts lists them all) and read through `readKnob`, so that every knob fails the same
 * way ("invalid value "x" for env NAME: why") and the README's table is generated from the same
 * declarations (`npm run docs:env`). Nothing in the image sets any of them (docs/contract.md §d-9).
 */
import { ErrorCode, RkeToolsError } from "../errors.ts";

/** "operator": documented for people who run the tools; "test": exists for tests and benchmarks. */
export type Audience = "operator" | "test";

export interface Knob<T> {
  name: string;
  audience: Audience;
  /** The tools that read it. */
  readBy: string;
  /** What it does, one sentence for the README table. */
  describe: string;
  /** The default as the README shows it. */
  shows: string;
  /** Used when the variable is unset or empty. */
  fallback: T;
  /** Turns a non-empty value into T; throws an Error whose message says what is wrong. */
  parse(raw: string): T;
}

export type Env = Record<string, string | undefined>;

export function knob<T>(spec: Knob<T>): Knob<T> {
  return spec;
}

/** The knob's value: its fallback when unset or empty, else the parsed value. */
export function readKnob<T>(env: Env, k: Knob<T>): T {
  const raw = env[k.name];
  if (raw === undefined || raw === "") return k.fallback;
  try {
    return k.parse(raw);
  } catch (e) {
    throw new RkeToolsError(ErrorCode.InvalidInput, `invalid value ${JSON.stringify(raw)} for env ${k.name}: ${(e as Error).message}`, { cause: e });
  }
}

/** Whether the variable is set (non-empty): for the one knob whose absence means "derive it". */
export function isKnobSet(env: Env, k: Knob<unknown>): boolean {
  return (env[k.name] ?? "") !== "";
}
