/**
 * The one logger of a process, built by src/main.ts from the environment before any tool runs, so
 * that every line — a usage error's, nginx-proxy's, the entrypoint's — has the format asked for.
 * etcd-backup's `--log-format` flag (same variable as its env fallback) may still change it later.
 */
import { knob, readKnob, type Env } from "../env/knob.ts";
import { text } from "../env/parse.ts";
import { Logger } from "./logger.ts";

/** Read leniently here (anything but `json` is text): a bad value must not stop the logger itself. */
export const LOG_FORMAT = knob({
  name: "RKE_TOOLS_LOG_FORMAT",
  audience: "operator",
  readBy: "every tool",
  shows: "`text`",
  fallback: "text",
  parse: text,
  describe: "`json` makes every tool log JSON lines from its first line on; also the default of etcd-backup's `--log-format`",
});
export function loggerFromEnv(env: Env): Logger {
  return Logger.create({ format: readKnob(env, LOG_FORMAT) === "json" ? "json" : "text" });
}
