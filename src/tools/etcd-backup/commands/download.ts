import { defineGoCommand } from "../../../cli/command.ts";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import * as f from "../flags.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "download",
  description: "Download an etcd snapshot from s3 or from a peer node",
  flags: f.commonFlags,
  run({ flags, log }) {
    applyLogFlags(log, flags);
    throw new RkeToolsError(ErrorCode.NotImplemented, "download is not built yet (issues 4, 5)");
  },
});
