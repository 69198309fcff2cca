import { writeSync } from "node:fs";
import { defineGoCommand } from "../../../cli/command.ts";
import { pathsFrom } from "../../../fs/paths.ts";
import * as f from "../flags.ts";
import type { SnapshotRecord } from "../../../snapshot/stores/store.ts";
import { outputFlag, parseOutput, renderList } from "../inspect/render.ts";
import { openStores } from "../open-stores.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "list",
  description: "List the snapshots in /backup (and in s3 with --s3-backup): name, format, size, time, state file, stored SHA-256",
  flags: [outputFlag, f.s3Backup, ...f.s3Flags, f.debug, f.logFormat] as const,
  async run({ flags, log, env, signal }) {
    applyLogFlags(log, flags);
    const output = parseOutput(flags.output);
    const records: SnapshotRecord[] = [];
    for (const store of await openStores({ local: true, s3: flags["s3-backup"] }, flags, env, { log, paths: pathsFrom(env) })) {
      records.push(...(await store.list({ signal, log })));
    }
    writeSync(1, renderList(records, output));
  },
});
