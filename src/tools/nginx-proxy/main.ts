/**
 * `nginx-proxy` (docs/contract.md §a.2): render /etc/nginx/nginx.conf from CP_HOSTS, check it with nginx -t,
 * then exec `nginx -g 'daemon off;'` so that the container's PID 1 is nginx and Docker's signals
 * reach it. RKE repeats `CP_HOSTS=<list>` as the only argument (to force re-creation when the list
 * changes); it is accepted and ignored, as are any other arguments, as the original did.
 */
import { runPlain } from "../../cli/plain.ts";
import type { ToolMain } from "../../cli/tool-context.ts";
import { parseControlPlaneHosts } from "./hosts.ts";
import { writeConfig } from "./config.ts";
import { execNginx, locateNginx } from "./nginx.ts";
import { nodeHasIPv6, settingsFrom } from "./settings.ts";
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
    const nginx = locateNginx(s, env.PATH);
    const path = await writeConfig(hosts, s, { listenIPv6: v6Hosts && hasV6, nginx, signal, env });
    log.info(`Wrote ${path}`, { upstreams: hosts.map((h) => h.address).join(",") });
    if (!nginx) throw new RkeToolsError(ErrorCode.Exec, `Cannot start nginx: ${s.nginx}${s.nginx.includes("/") ? " is missing or not executable" : " not found in PATH"}`);
    log.info("Starting nginx", { program: nginx });
    execNginx(nginx, s, env);
  }, ctx);
