/** `etcd-backup save`: once (`--once --name X`) or rolling, as the original (docs/contract.md §o-6, §o-7). */
import { defineGoCommand } from "../../../cli/command.ts";
import * as f from "../flags.ts";
import { fetchClusterState } from "../save/cluster-state.ts";
import { saveOnce } from "../save/once.ts";
import { runRolling } from "../save/rolling.ts";
import { saveSettings } from "../save/settings.ts";
import { uploaderFor } from "../save/uploader.ts";
import { saveDeflater } from "../save/deflater.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "save",
  description: "Take an etcd snapshot",
  flags: [f.creation, f.retention, f.once, ...f.commonFlags, f.backupRetries, f.s3Retries, f.archiveFormat] as const,
  async run({ flags, log, env, signal }) {
    applyLogFlags(log, flags);
    const settings = saveSettings(flags, env, log);
    const upload = uploaderFor(flags, { env, log });
    const deflater = saveDeflater(env);
    if (flags.once) {
      await saveOnce(flags.name, settings, { signal, log, upload, deflater });
      return 0;
    }
    // --name is passed by RKE (`etcd-rolling-snapshots`) and ignored, as by the original.
    await runRolling(settings, { signal, log, upload, deflater, fetchState: fetchClusterState });
    return 0;
  },
});
