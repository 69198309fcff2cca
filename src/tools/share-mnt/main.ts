/**
 * `share-mnt PATH… [-- norun | -- COMMAND ARGS…]` (deprecated, kept): makes each mount point shared
 * recursively in this mount namespace, then — like rancher's share-mnt — runs the command after
 * `--` (exec, same PID), unless it is `norun` or absent. Not used by RKE or Rancher (docs/contract.md §a.6).
 */
import { runPlain } from "../../cli/plain.ts";
import { ErrorCode, RkeToolsError, UsageError } from "../../errors.ts";
import { execvp } from "../../sys/index.ts";
import type { ToolMain } from "../../cli/tool-context.ts";
import { shareMounts } from "./share.ts";

export const main: ToolMain = (argv, ctx) =>
  runPlain(({ log, env }) => {
    const dash = argv.indexOf("--");
    const paths = dash < 0 ? argv : argv.slice(0, dash);
    const command = dash < 0 ? [] : argv.slice(dash + 1);
    if (paths.length === 0) throw new UsageError("Usage: share-mnt PATH... [-- norun | -- COMMAND ARGS...]: no path given");
    log.warn("share-mnt is deprecated: nothing in RKE or Rancher calls it any more");
    const problems = shareMounts(paths, { log });
    for (const p of problems.slice(0, -1)) log.error(p);
    if (problems.length > 0) throw new RkeToolsError(ErrorCode.Io, problems.at(-1)!);
    if (command.length === 0 || (command.length === 1 && command[0] === "norun")) return 0;
    execvp(command[0]!, command, env);
  }, ctx);
