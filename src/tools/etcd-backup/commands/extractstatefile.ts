import { defineGoCommand } from "../../../cli/command.ts";
import { pathsFrom } from "../../../fs/paths.ts";
import * as f from "../flags.ts";
import { extractStateFile } from "../restore/extract-state.ts";
import { requireName } from "../restore/files.ts";
import { applyLogFlags } from "./common.ts";
import { progressPolicyFrom } from "../progress.ts";

export default defineGoCommand({
  name: "extractstatefile",
  description: "Extract the RKE state file from a snapshot archive to /tmp/cluster.rkestate",
  // --creation, --retention and --once are accepted and ignored, as by the original.
  flags: [f.creation, f.retention, f.once, ...f.commonFlags] as const,
  async run({ flags, log, env, signal }) {
    applyLogFlags(log, flags);
    const name = requireName(flags.name);
    const paths = pathsFrom(env);
    log.info(`Trying to get statefile from backup [${name}]`);
    // With S3 flags the archive is first fetched into /backup (docs/contract.md §o-10).
    if (flags["s3-backup"]) {
      const s3 = await import("../../../s3/index.ts");
      await s3.downloadSnapshot(await s3.connectFromFlags(flags, env, { log, signal }), name, paths.backup, { log, signal, progress: progressPolicyFrom(env) });
    }
    const r = await extractStateFile(name, { paths, signal, log });
    log.info(`Successfully extracted file [${r.entry}] from file [${r.zip}] to destination [${r.dest}]`);
  },
});
