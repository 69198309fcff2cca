/** weave-plugins-cni.sh's environment knob (src/env/knob.ts): TEST ONLY, never set in the image. */
import { knob } from "../../env/knob.ts";
import { absolutePath } from "../../env/parse.ts";

export const CNI_BIN_DIR = knob({
  name: "RKE_TOOLS_CNI_BIN_DIR",
  audience: "test",
  readBy: "weave-plugins-cni.sh",
  shows: "`/opt/cni/bin`",
  fallback: "/opt/cni/bin",
  parse: absolutePath,
  describe: "where the CNI plugins are moved to",
});
