import { defineGoCommand } from "../../../cli/command.ts";
import { pathsFrom } from "../../../fs/paths.ts";
import * as f from "../flags.ts";
import { prepareSnapshot } from "../serve/extract.ts";
import { progressPolicyFrom } from "../progress.ts";
import { requireName } from "../../../snapshot/name.ts";
import { serveSnapshot } from "../serve/server.ts";
import { SERVE_PORT } from "../peer-wire.ts";
import { checkServable } from "../serve/check.ts";
import { requireTls } from "../tls-flags.ts";
import { readKnob } from "../../../env/knob.ts";
import { SERVE_HOSTS, SERVE_PORT as SERVE_PORT_KNOB } from "../knobs.ts";
import { applyLogFlags } from "./common.ts";

export default defineGoCommand({
  name: "serve",
  description: "Serve a snapshot to the other etcd nodes over HTTPS with mutual TLS on :2379",
  flags: [f.name, f.cacert, f.cert, f.key, f.logFormat] as const,
  async run({ flags, log, env, signal }) {
    applyLogFlags(log, flags);
    // Unlike the original, flags are checked before the (long) extraction.
    const name = requireName(flags.name);
    const tls = requireTls(flags);
    const port = readKnob(env, SERVE_PORT_KNOB) ?? SERVE_PORT;
    const { file } = await prepareSnapshot(name, { paths: pathsFrom(env), signal, log, progress: progressPolicyFrom(env) });
    await checkServable(file, signal);
    await serveSnapshot(file, { name, tls, port, hostnames: readKnob(env, SERVE_HOSTS), signal, log });
  },
});
