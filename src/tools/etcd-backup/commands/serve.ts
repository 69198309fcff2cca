import { defineGoCommand } from "../../../cli/command.ts";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import * as f from "../flags.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "serve",
  description: "Serve a snapshot to the other etcd nodes over HTTPS with mutual TLS on :2379",
  flags: [f.name, f.cacert, f.cert, f.key, f.logFormat] as const,
  run({ flags, log }) {
    applyLogFlags(log, flags);
    throw new RkeToolsError(ErrorCode.NotImplemented, "serve is not built yet (issue 4)");
  },
});
