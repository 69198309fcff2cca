import { writeSync } from "node:fs";
import { defineGoCommand } from "../../../cli/command.ts";
import { validateSnapshotName } from "../../../fs/names.ts";
import { pathsFrom } from "../../../fs/paths.ts";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import * as f from "../flags.ts";
import { outputFlag, parseOutput, renderVerify } from "../inspect/render.ts";
import { verifyLocalSnapshot, verdict } from "../inspect/verify-local.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "verify",
  description: "Read a snapshot archive whole and check it: format, CRCs, etcd's SHA-256 trailer, state file, stored SHA-256",
  flags: [f.name, outputFlag, f.s3Backup, ...f.s3Flags, f.debug, f.logFormat] as const,
  async run({ flags, log, env, signal }) {
    applyLogFlags(log, flags);
    const output = parseOutput(flags.output);
    if (flags["s3-backup"]) throw new RkeToolsError(ErrorCode.NotImplemented, "verify --s3-backup is not built yet");
    const name = validateSnapshotName(flags.name);
    const reports = await verifyLocalSnapshot(pathsFrom(env).backup, name, { signal, log });
    writeSync(1, renderVerify(reports, output));
    verdict(name, reports); // throws the first failed check as the last line
    log.info("Verified snapshot", { name, archives: reports.map((r) => r.target) });
  },
});
