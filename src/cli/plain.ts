/**
 * The shell for tools without flags (nginx-proxy, cert-deployer, weave-plugins-cni.sh, share-mnt):
 * the tool's body with the process's logger, and one fatal line as the last line on failure
 * (failure.ts, as for every tool).
 */
import type { Logger } from "../log/logger.ts";
import { reportFailure } from "./failure.ts";

export interface PlainContext {
  log: Logger;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
}

export async function runPlain(body: (ctx: PlainContext) => Promise<number | void> | number | void, ctx: PlainContext): Promise<number> {
  try {
    return (await body(ctx)) ?? 0;
  } catch (e) {
    return reportFailure(ctx.log, e);
  }
}
