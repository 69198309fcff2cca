/**
 * The one place an error becomes the last stderr line and the exit code, for every tool: RKE reads
 * only the last line of a one-shot container (docs/contract.md §d-6) and its exit code (§d-7), so
 * nothing may be written after it.
 */
import { isRkeToolsError, messageOf } from "../errors.ts";
import type { Logger } from "../log/logger.ts";

export function reportFailure(log: Logger, e: unknown): number {
  log.fatal(messageOf(e));
  return isRkeToolsError(e) ? e.exitCode : 1;
}
