/**
 * `cloud-provider.sh`: only the Azure cloud-config fix-up, for operators who run it by hand
 * (the original was a bash library that entrypoint.sh sourced). Exit 0 when the file was
 * rewritten, 1 with the reason when it was left as it was.
 */
import { reportFailure } from "../../cli/failure.ts";
import type { ToolMain } from "../../cli/tool-context.ts";
import { fixAzureCloudConfig } from "./azure.ts";
import { entrypointPaths } from "./paths.ts";

export const main: ToolMain = async (argv, ctx) => {
  const { log } = ctx;
  if (argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(
      "Usage: cloud-provider.sh\n\nFills in the Azure values of /etc/kubernetes/cloud-config from the instance metadata service and the\nAzure Resource Manager API, with the client credentials of that file. Rewrites it only when every value was found.\n",
    );
    return 0;
  }
  const paths = entrypointPaths(ctx.env);
  try {
    const r = await fixAzureCloudConfig(paths.cloudConfig, { imds: paths.azureImds, aad: paths.azureAad, arm: paths.azureArm, signal: ctx.signal, log });
    if (!r.updated) {
      log.error("Some variables were not populated correctly, using the passed config!", { empty: r.missing.join(",") });
      return 1;
    }
    log.info("Azure cloud config updated", { file: paths.cloudConfig });
    return 0;
  } catch (e) {
    return reportFailure(log, e);
  }
};
