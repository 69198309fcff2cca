import { defineGoCommand } from "../../../cli/command.ts";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import * as f from "../flags.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "extractstatefile",
  description: "Extract the RKE state file from a snapshot archive to /tmp/cluster.rkestate",
  // --creation, --retention and --once are accepted and ignored, as by the original.
  flags: [f.creation, f.retention, f.once, ...f.commonFlags] as const,
  run({ flags, log }) {
    applyLogFlags(log, flags);
    throw new RkeToolsError(ErrorCode.NotImplemented, "extractstatefile is not built yet (issue 4)");
  },
});
