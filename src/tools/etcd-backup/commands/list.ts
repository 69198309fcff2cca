import { writeSync } from "node:fs";
import { defineGoCommand } from "../../../cli/command.ts";
import { pathsFrom } from "../../../fs/paths.ts";
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
    const records = await listLocal(pathsFrom(env).backup, { signal });
    if (flags["s3-backup"]) {
      const [s3, { connectS3, s3ConfigFromFlags }] = await Promise.all([import("../inspect/s3.ts"), import("../s3-flags.ts")]); // loaded only when asked
      records.push(...(await s3.listS3(await connectS3(s3ConfigFromFlags(flags, env, { log }), { log, signal }), { signal })));
    }
    writeSync(1, renderList(records, output));
  },
});
