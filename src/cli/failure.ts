/**
 * The one place an error becomes the last stderr line and the exit code, for every tool: RKE reads
 * only the last line of a one-shot container (docs/contract.md §d-6) and its exit code (§d-7), so
 * nothing may be written after it.
 */
import { messageOf } from "../errors.ts";
import type { Logger } from "../log/logger.ts";

/** Exit code 1 for every failure: logrus.Fatal's, which the original exits with (docs/contract.md §d-7). */
export function reportFailure(log: Logger, e: unknown): number {
  log.fatal(messageOf(e));
  return 1;
}
