import { defineGoCommand } from "../../../cli/command.ts";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import * as f from "../flags.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "save",
  description: "Take an etcd snapshot",
  flags: [f.creation, f.retention, f.once, ...f.commonFlags, f.backupRetries, f.s3Retries] as const,
  run({ flags, log }) {
    applyLogFlags(log, flags);
    throw new RkeToolsError(ErrorCode.NotImplemented, "save is not built yet (issue 3)");
  },
});
