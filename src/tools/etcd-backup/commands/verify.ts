import { writeSync } from "node:fs";
import { defineGoCommand } from "../../../cli/command.ts";
import { validateSnapshotName } from "../../../snapshot/name.ts";
import { pathsFrom } from "../../../fs/paths.ts";
import * as f from "../flags.ts";
import { outputFlag, parseOutput, renderVerify } from "../inspect/render.ts";
import { verdict, verifyInStore } from "../inspect/verify-store.ts";
import { openStores } from "../open-stores.ts";
import { applyLogFlags } from "./common.ts";
import { progressPolicyFrom } from "../progress.ts";

export default defineGoCommand({
  name: "verify",
  description:
    "Read a snapshot archive whole (local, or in s3 with --s3-backup) and check it: format, CRCs, etcd's SHA-256 trailer, the etcd database (as bbolt check, with etcdctl snapshot status's values), state file and certificates, stored SHA-256",
  flags: [f.name, outputFlag, f.s3Backup, ...f.s3Flags, f.debug, f.logFormat] as const,
  async run({ flags, log, env, signal }) {
    applyLogFlags(log, flags);
    const output = parseOutput(flags.output);
    const name = validateSnapshotName(flags.name);
    // With --s3-backup the bucket's copies are verified, else the backup folder's (progress lines where a store's copy is read in place).
    const s3 = flags["s3-backup"];
    const reports = [];
    for (const store of await openStores({ local: !s3, s3 }, flags, env, { log, paths: pathsFrom(env) })) {
      reports.push(...(await verifyInStore(store, name, { signal, log, progress: store.readsInPlace ? progressPolicyFrom(env) : undefined })));
    }
    writeSync(1, renderVerify(reports, output));
    verdict(name, reports); // throws the first failed check: the last line
    log.info("Verified snapshot", { name, archives: reports.map((r) => r.target) });
  },
});
