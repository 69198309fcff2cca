import { defineGoCommand } from "../../../cli/command.ts";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import { pathsFrom } from "../../../fs/paths.ts";
import * as f from "../flags.ts";
import { localEndpoint } from "../download/local-endpoint.ts";
import { requireName } from "../../../snapshot/name.ts";
import { rawPath } from "../../../snapshot/layout.ts";
import { peerDownload, peerUrl } from "../download/peer.ts";
import { progressPolicyFrom } from "../progress.ts";
import { s3Download } from "../download/s3.ts";
import { SERVE_PORT } from "../peer-wire.ts";
import { requireTls } from "../tls-flags.ts";
import { readKnob } from "../../../env/knob.ts";
import { SERVE_PORT as SERVE_PORT_KNOB } from "../knobs.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "download",
  description: "Download an etcd snapshot from s3 or from a peer node",
  flags: f.commonFlags,
  async run({ flags, log, env, signal }) {
    applyLogFlags(log, flags);
    log.info("Initializing Download Backups");
    const name = requireName(flags.name);
    if (flags["s3-backup"]) {
      await s3Download(name, flags, { env, paths: pathsFrom(env), log, signal });
      return;
    }

    if (!flags["local-endpoint"]) throw new RkeToolsError(ErrorCode.InvalidInput, "local-endpoint is required");
    // The original's checks first (name, endpoint, certs), then the endpoint's form, which it never checked.
    const tls = requireTls(flags);
    const endpoint = localEndpoint(flags["local-endpoint"], readKnob(env, SERVE_PORT_KNOB) ?? SERVE_PORT);
    log.info(`Invoking downloading backup files: ${name}`);
    log.info(`Trying to download backup file from: ${peerUrl(endpoint, name)}`);
    await peerDownload(name, { endpoint, tls, dest: rawPath(pathsFrom(env).backup, name), signal, log, progress: progressPolicyFrom(env) });
    log.info(`Successfully download ${name} from ${endpoint.host} `);
  },
});
