import { defineGoCommand } from "../../../cli/command.ts";
import { pathsFrom } from "../../../fs/paths.ts";
import * as f from "../flags.ts";
import { extractStateFile } from "../download/extract-state.ts";
import { requireName } from "../../../snapshot/name.ts";
import { s3Download } from "../download/s3.ts";
import { applyLogFlags } from "./common.ts";

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
    // With S3 flags, first what `download --s3-backup` does: the archive into /backup and the raw
    // snapshot beside it, both left there as by the original (docs/contract.md §o-10; RKE's next restore step,
    // `download --s3-backup` on every etcd node, fetches the same again, and its checksum check
    // reads the raw file: issue 19.19).
    if (flags["s3-backup"]) await s3Download(name, flags, { env, paths, log, signal });
    const r = await extractStateFile(name, { paths, signal, log });
    log.info(`Successfully extracted file [${r.entry}] from file [${r.zip}] to destination [${r.dest}]`);
  },
});
