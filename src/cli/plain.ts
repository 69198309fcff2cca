/**
 * The shell for tools without flags (nginx-proxy, cert-deployer, weave-plugins-cni.sh, share-mnt):
 * a logger on stderr, the tool's body, and one fatal line as the last line on failure. Like
 * shell.ts, the only place these tools turn errors into exit codes.
 */
import { isRkeToolsError, messageOf } from "../errors.ts";
import { Logger } from "../log/logger.ts";

export interface PlainContext {
  log: Logger;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
}

export async function runPlain(
  body: (ctx: PlainContext) => Promise<number | void> | number | void,
  opts: { env: Record<string, string | undefined>; signal: AbortSignal; log?: Logger },
): Promise<number> {
  const log = opts.log ?? Logger.create();
  try {
    return (await body({ log, env: opts.env, signal: opts.signal })) ?? 0;
  } catch (e) {
    log.fatal(messageOf(e));
    return isRkeToolsError(e) ? e.exitCode : 1;
  }
}
