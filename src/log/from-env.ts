/**
 * The one logger of a process, built by src/main.ts from the environment before any tool runs, so
 * that every line — a usage error's, nginx-proxy's, the entrypoint's — has the format asked for.
 * etcd-backup's `--log-format` flag (same variable as its env fallback) may still change it later.
 */
import { Logger } from "./logger.ts";

export const LOG_FORMAT_ENV = "RKE_TOOLS_LOG_FORMAT";

export function loggerFromEnv(env: Record<string, string | undefined>): Logger {
  return Logger.create({ format: env[LOG_FORMAT_ENV] === "json" ? "json" : "text" });
}
