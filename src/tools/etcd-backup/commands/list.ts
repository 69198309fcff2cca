import { writeSync } from "node:fs";
import { defineGoCommand } from "../../../cli/command.ts";
import { pathsFrom } from "../../../fs/paths.ts";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import * as f from "../flags.ts";
import { listLocal } from "../inspect/list.ts";
import { outputFlag, parseOutput, renderList } from "../inspect/render.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "list",
  description: "List the snapshots in /backup (and in s3 with --s3-backup): name, format, size, time, state file, stored SHA-256",
  flags: [outputFlag, f.s3Backup, ...f.s3Flags, f.debug, f.logFormat] as const,
  async run({ flags, log, env, signal }) {
    applyLogFlags(log, flags);
    const output = parseOutput(flags.output);
    if (flags["s3-backup"]) throw new RkeToolsError(ErrorCode.NotImplemented, "list --s3-backup is not built yet");
    const records = await listLocal(pathsFrom(env).backup, { signal });
    writeSync(1, renderList(records, output));
  },
});
