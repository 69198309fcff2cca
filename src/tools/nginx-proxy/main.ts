/**
 * `nginx-proxy` (docs/contract.md §a.2): render /etc/nginx/nginx.conf from CP_HOSTS, check it with nginx -t,
 * then exec `nginx -g 'daemon off;'` so that the container's PID 1 is nginx and Docker's signals
 * reach it. RKE repeats `CP_HOSTS=<list>` as the only argument (to force re-creation when the list
 * changes); it is accepted and ignored, as are any other arguments, as the original did.
 */
import { runPlain } from "../../cli/plain.ts";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { AtomicFile, cleanStaleTemps } from "../../fs/atomic.ts";
import type { ToolMain } from "../tool.ts";
import { parseControlPlaneHosts } from "./hosts.ts";
import { execNginx, locateNginx, testConfig } from "./nginx.ts";
import { renderNginxConf } from "./render.ts";
import { modulesInclude, nodeHasIPv6, settingsFrom } from "./settings.ts";
import { ErrorCode, RkeToolsError } from "../../errors.ts";

export const main: ToolMain = (argv, ctx) =>
  runPlain(async ({ log, env, signal }) => {
    const ignored = argv.filter((a) => !a.startsWith("CP_HOSTS="));
    if (ignored.length > 0) log.warn("Ignoring arguments", { args: ignored });
    const s = settingsFrom(env);
    const { hosts, duplicates } = parseControlPlaneHosts(env.CP_HOSTS);
    if (duplicates.length > 0) log.warn("Dropped duplicate CP_HOSTS entries", { duplicates });
    const v6Hosts = hosts.some((h) => h.kind === "ipv6");
    const hasV6 = nodeHasIPv6();
    if (v6Hosts && !hasV6) log.warn("CP_HOSTS has IPv6 addresses but this node has no IPv6: listening on IPv4 only");
    const conf = renderNginxConf(hosts, {
      listen: s.listen,
      listen6: s.listen6,
      upstreamPort: s.upstreamPort,
      listenIPv6: v6Hosts && hasV6,
      modulesInclude: modulesInclude(),
    });
    // Checked under its temporary name, so that a config nginx refuses never replaces a good one.
    const nginx = locateNginx(s, env.PATH);
    await mkdir(dirname(s.confPath), { recursive: true });
    await cleanStaleTemps(dirname(s.confPath)); // left by a run killed mid-write
    const file = await AtomicFile.create(s.confPath, { mode: 0o644 });
    try {
      await file.write(new TextEncoder().encode(conf));
      if (nginx) await testConfig(nginx, file.tempPath, s, { signal, env });
      await file.commit();
    } finally {
      await file.abort();
    }
    log.info(`Wrote ${s.confPath}`, { upstreams: hosts.map((h) => h.address).join(",") });
    if (!nginx) throw new RkeToolsError(ErrorCode.Exec, `Cannot start nginx: ${s.nginx}${s.nginx.includes("/") ? " is missing or not executable" : " not found in PATH"}`);
    log.info("Starting nginx", { program: nginx });
    execNginx(nginx, s, env);
  }, ctx);
