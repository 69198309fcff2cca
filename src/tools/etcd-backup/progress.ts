/**
 * How often etcd-backup's long transfers log their progress (src/log/progress.ts): every 10 s,
 * or `RKE_TOOLS_PROGRESS_INTERVAL` (a Go duration; `0` turns the lines off). Tests shorten it.
 */
import { durationToMs, parseDuration } from "../../cli/duration.ts";
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { DEFAULT_PROGRESS, type ProgressPolicy } from "../../log/progress.ts";

export const PROGRESS_INTERVAL_ENV = "RKE_TOOLS_PROGRESS_INTERVAL";

/** The policy from the environment; `undefined` when progress lines are turned off. */
export function progressPolicyFrom(env: Record<string, string | undefined>): ProgressPolicy | undefined {
  const text = env[PROGRESS_INTERVAL_ENV];
  if (!text) return DEFAULT_PROGRESS;
  let ms: number;
  try {
    ms = durationToMs(parseDuration(text));
  } catch (e) {
    throw new RkeToolsError(ErrorCode.InvalidInput, `invalid value ${JSON.stringify(text)} for env ${PROGRESS_INTERVAL_ENV}: ${(e as Error).message}`);
  }
  if (ms < 0) throw new RkeToolsError(ErrorCode.InvalidInput, `invalid value ${JSON.stringify(text)} for env ${PROGRESS_INTERVAL_ENV}: must not be negative`);
  return ms === 0 ? undefined : { ...DEFAULT_PROGRESS, intervalMs: Math.max(1, ms) };
}
