/**
 * `weave-plugins-cni.sh` (docs/contract.md §a.5): the weave DaemonSet's `weave-plugins` container runs it from
 * /opt/rke-tools with the host's /opt mounted. It moves loopback and portmap into /opt/cni/bin,
 * then stays up (the pod must stay Running) until SIGTERM, and then exits 0.
 * RKE_TOOLS_CNI_BIN_DIR (test-only) relocates /opt/cni/bin; RKE_TOOLS_TMP_DIR relocates /tmp.
 */
import { runPlain } from "../../cli/plain.ts";
import { pathsFrom } from "../../fs/paths.ts";
import { readKnob } from "../../env/knob.ts";
import { CNI_BIN_DIR } from "./knobs.ts";
import type { ToolMain } from "../../cli/tool-context.ts";
import { deployPlugins } from "./deploy.ts";

/** Waits for the signal; the interval keeps the event loop (and so the process) alive meanwhile. */
function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const keepAlive = setInterval(() => {}, 1 << 30);
    signal.addEventListener(
      "abort",
      () => {
        clearInterval(keepAlive);
        resolve();
      },
      { once: true },
    );
  });
}

export const main: ToolMain = (_argv, ctx) =>
  runPlain(async ({ log, env, signal }) => {
    const toDir = readKnob(env, CNI_BIN_DIR);
    await deployPlugins(pathsFrom(env).tmp, toDir, { log });
    log.info("CNI plugins deployed; waiting until stopped");
    await untilAborted(signal);
    log.info("Stopping on signal");
  }, ctx);
