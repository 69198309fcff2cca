import { defineGoCommand } from "../../../cli/command.ts";
import { boolFlag } from "../../../cli/flag.ts";
import { pathsFrom } from "../../../fs/paths.ts";
import * as f from "../flags.ts";
import { deleteLocal } from "../restore/delete-local.ts";
import { requireName, s3NotBuilt } from "../restore/files.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "delete",
  description: "Delete an etcd snapshot (locally, and from s3 with --s3-backup)",
  // `delete` reads the S3 env vars but not S3_BACKUP, and has no cert flags and no --debug.
  flags: [f.name, boolFlag("s3-backup", "Delete the snapshot from s3 as well"), f.cleanup, ...f.s3Flags, f.logFormat] as const,
  async run({ flags, log, env }) {
    applyLogFlags(log, flags);
    const name = requireName(flags.name);
    // --cleanup is local only, whatever the S3 flags say (spec d-18b).
    const s3 = flags["s3-backup"] && !flags.cleanup;
    if (s3) throw s3NotBuilt("delete"); // the S3 issue: delete locally, then `await s3Delete(name, …)`
    await deleteLocal(name, { paths: pathsFrom(env), cleanup: flags.cleanup, log });
  },
});
