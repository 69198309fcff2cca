/** Set-up every etcd-backup command does first: log level and format from its flags. */
import { UsageError } from "../../../errors.ts";
import type { Logger } from "../../../log/logger.ts";

export function applyLogFlags(log: Logger, flags: { debug?: boolean; "log-format"?: string }): void {
  const format = flags["log-format"] ?? "text";
  if (format !== "text" && format !== "json") throw new UsageError(`invalid value "${format}" for flag -log-format: must be text or json`);
  log.setFormat(format);
  if (flags.debug) {
    log.setLevel("debug");
    log.debug("Log level set to debug");
  }
}
