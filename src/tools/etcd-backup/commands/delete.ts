import { defineGoCommand } from "../../../cli/command.ts";
import { boolFlag } from "../../../cli/flag.ts";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import * as f from "../flags.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "delete",
  description: "Delete an etcd snapshot (locally, and from s3 with --s3-backup)",
  // `delete` reads the S3 env vars but not S3_BACKUP, and has no cert flags and no --debug.
  flags: [f.name, boolFlag("s3-backup", "Delete the snapshot from s3 as well"), f.cleanup, ...f.s3Flags, f.logFormat] as const,
  run({ flags, log }) {
    applyLogFlags(log, flags);
    throw new RkeToolsError(ErrorCode.NotImplemented, "delete is not built yet (issue 4)");
  },
});
