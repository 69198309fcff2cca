import { defineGoCommand } from "../../../cli/command.ts";
import { boolFlag } from "../../../cli/flag.ts";
import { pathsFrom } from "../../../fs/paths.ts";
import * as f from "../flags.ts";
import { openStores } from "../open-stores.ts";
import { requireName } from "../../../snapshot/name.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "delete",
  description: "Delete an etcd snapshot (locally, and from s3 with --s3-backup)",
  // `delete` reads the S3 env vars but not S3_BACKUP, and has no cert flags and no --debug.
  flags: [f.name, boolFlag("s3-backup", "Delete the snapshot from s3 as well"), f.cleanup, ...f.s3Flags, f.logFormat] as const,
  async run({ flags, log, env, signal }) {
    applyLogFlags(log, flags);
    const name = requireName(flags.name);
    // --cleanup is local only, whatever the S3 flags say (docs/contract.md §d-18b); bad S3 flags: one line, nothing deleted.
    const stores = await openStores({ local: true, s3: flags["s3-backup"] && !flags.cleanup }, flags, env, { log, paths: pathsFrom(env) });
    for (const store of stores) await store.remove(name, { cleanup: flags.cleanup, log, signal });
  },
});
