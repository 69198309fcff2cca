import { writeSync } from "node:fs";
import { defineGoCommand } from "../../../cli/command.ts";
import { validateSnapshotName } from "../../../snapshot/name.ts";
import { pathsFrom } from "../../../fs/paths.ts";
import { convertToZip } from "../convert/to-zip.ts";
import * as f from "../flags.ts";
import { outputFlag, parseOutput, renderVerify } from "../inspect/render.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "convert",
  description: "Rewrite /backup/<name>.tar.gz or .tar.zst as /backup/<name>.zip (what RKE, Rancher and the RKE2 migration read), verified before it appears",
  flags: [f.name, outputFlag, f.debug, f.logFormat] as const,
  async run({ flags, log, env, signal }) {
    applyLogFlags(log, flags);
    const output = parseOutput(flags.output);
    const name = validateSnapshotName(flags.name);
    const r = await convertToZip(pathsFrom(env).backup, name, { signal, log });
    writeSync(1, renderVerify([r.report], output));
    log.info("Converted snapshot", { name, from: r.source, to: r.zip });
  },
});
