/**
 * How often etcd-backup's long transfers log their progress (src/log/progress.ts): every 10 s,
 * or RKE_TOOLS_PROGRESS_INTERVAL (knobs.ts; `0` turns the lines off). Tests shorten it.
 */
import { readKnob, type Env } from "../../env/knob.ts";
import { DEFAULT_PROGRESS, type ProgressPolicy } from "../../log/progress.ts";
import { PROGRESS_INTERVAL } from "./knobs.ts";

/** The policy from the environment; `undefined` when progress lines are turned off. */
export function progressPolicyFrom(env: Env): ProgressPolicy | undefined {
  const ms = readKnob(env, PROGRESS_INTERVAL);
  return ms === 0 ? undefined : { ...DEFAULT_PROGRESS, intervalMs: Math.max(1, ms) };
}
