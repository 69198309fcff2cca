/**
 * The shell for tools without flags (nginx-proxy, cert-deployer, weave-plugins-cni.sh, share-mnt):
 * the tool's body with the process's logger, and one fatal line as the last line on failure
 * (failure.ts, as for every tool).
 */
import { reportFailure } from "./failure.ts";
import type { ToolContext } from "./tool-context.ts";

/** What a flagless tool's body reads of its ToolContext. */
export type PlainContext = Pick<ToolContext, "log" | "env" | "signal">;

export async function runPlain(body: (ctx: PlainContext) => Promise<number | void> | number | void, ctx: PlainContext): Promise<number> {
  try {
    return (await body(ctx)) ?? 0;
  } catch (e) {
    return reportFailure(ctx.log, e);
  }
}
