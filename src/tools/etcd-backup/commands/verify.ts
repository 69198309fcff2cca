import { writeSync } from "node:fs";
import { defineGoCommand } from "../../../cli/command.ts";
import { validateSnapshotName } from "../../../snapshot/name.ts";
import { pathsFrom } from "../../../fs/paths.ts";
import * as f from "../flags.ts";
import { outputFlag, parseOutput, renderVerify } from "../inspect/render.ts";
import { verifyLocalSnapshot, verdict } from "../inspect/verify-local.ts";
import { applyLogFlags } from "./common.ts";
import { progressPolicyFrom } from "../progress.ts";

export default defineGoCommand({
  name: "verify",
  description: "Read a snapshot archive whole (local, or in s3 with --s3-backup) and check it: format, CRCs, etcd's SHA-256 trailer, the etcd database (as bbolt check, with etcdctl snapshot status's values), state file and certificates, stored SHA-256",
  flags: [f.name, outputFlag, f.s3Backup, ...f.s3Flags, f.debug, f.logFormat] as const,
  async run({ flags, log, env, signal }) {
    applyLogFlags(log, flags);
    const output = parseOutput(flags.output);
    const name = validateSnapshotName(flags.name);
    const backup = pathsFrom(env).backup;
    let reports;
    if (flags["s3-backup"]) {
      const [s3, { connectS3, s3ConfigFromFlags }] = await Promise.all([import("../inspect/s3.ts"), import("../s3-flags.ts")]); // loaded only when asked
      reports = await s3.verifyS3Snapshot(await connectS3(s3ConfigFromFlags(flags, env, { log }), { log, signal }), name, backup, { signal, log });
    } else {
      reports = await verifyLocalSnapshot(backup, name, { signal, log, progress: progressPolicyFrom(env) });
    }
    writeSync(1, renderVerify(reports, output));
    verdict(name, reports); // throws the first failed check: the last line
    log.info("Verified snapshot", { name, archives: reports.map((r) => r.target) });
  },
});
