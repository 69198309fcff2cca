/**
 * Where nginx-proxy writes and what it listens on. Production values are the original's; the
 * knobs below exist for the tests only (so that they run nginx on a free loopback
 * port with a config in a temporary folder) and are never set in the image. The program is always
 * `nginx` from PATH: no variable can make nginx-proxy exec something else.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { knob, readKnob, type Env } from "../../env/knob.ts";
import { absolutePath, listenAddress, port } from "../../env/parse.ts";

export interface NginxSettings {
  /** /etc/nginx/nginx.conf */
  confPath: string;
  /** True when confPath was relocated: nginx then gets `-c` and a pid file beside the config. */
  relocated: boolean;
  /** The nginx program, looked up in PATH. */
  nginx: string;
  /** `listen` argument: 6443 (every IPv4 address, as the original). */
  listen: string;
  /** `listen` argument when IPv6 is served: [::]:6443. */
  listen6: string;
  upstreamPort: number;
}

export const DEFAULT_CONF = "/etc/nginx/nginx.conf";
export const MODULES_ENABLED_DIR = "/etc/nginx/modules-enabled";

export const NGINX_CONF = knob({
  name: "RKE_TOOLS_NGINX_CONF",
  audience: "test",
  readBy: "nginx-proxy",
  shows: `\`${DEFAULT_CONF}\``,
  fallback: DEFAULT_CONF,
  parse: absolutePath,
  describe: "where the config is written; nginx then also gets `-c` and a pid file beside it",
});
export const NGINX_LISTEN = knob({
  name: "RKE_TOOLS_NGINX_LISTEN",
  audience: "test",
  readBy: "nginx-proxy",
  shows: "`6443`",
  fallback: "6443",
  parse: listenAddress,
  describe: "the IPv4 `listen` argument (`<port>` or `<address>:<port>`)",
});
export const NGINX_LISTEN6 = knob({
  name: "RKE_TOOLS_NGINX_LISTEN6",
  audience: "test",
  readBy: "nginx-proxy",
  shows: "`[::]:6443`",
  fallback: "[::]:6443",
  parse: listenAddress,
  describe: "the IPv6 `listen` argument",
});
export const NGINX_UPSTREAM_PORT = knob({
  name: "RKE_TOOLS_NGINX_UPSTREAM_PORT",
  audience: "test",
  readBy: "nginx-proxy",
  shows: "`6443`",
  fallback: 6443 as number,
  parse: port(1),
  describe: "the control-plane hosts' port",
});

export function settingsFrom(env: Env): NginxSettings {
  const conf = readKnob(env, NGINX_CONF);
  return {
    confPath: conf,
    relocated: conf !== DEFAULT_CONF,
    nginx: "nginx",
    listen: readKnob(env, NGINX_LISTEN),
    listen6: readKnob(env, NGINX_LISTEN6),
    upstreamPort: readKnob(env, NGINX_UPSTREAM_PORT),
  };
}

/**
 * Does this node have IPv6? The kernel lists its IPv6 addresses in /proc/net/if_inet6; the file
 * is missing or empty when IPv6 is disabled, and `listen [::]` would then fail.
 */
export function nodeHasIPv6(ifInet6 = "/proc/net/if_inet6"): boolean {
  try {
    return readFileSync(ifInet6, "utf8").trim() !== "";
  } catch {
    return false;
  }
}

/**
 * Debian's nginx builds the stream module as a loadable module, enabled by a file in
 * /etc/nginx/modules-enabled; the nginx.org build in the rke-tools image has it built in and no
 * such folder. Include the folder only where it holds something, so that the image's output stays
 * identical to the original's.
 */
export function modulesInclude(dir = MODULES_ENABLED_DIR): string | undefined {
  if (!existsSync(dir)) return undefined;
  try {
    return readdirSync(dir).some((n) => n.endsWith(".conf")) ? `${dir}/*.conf` : undefined;
  } catch {
    return undefined;
  }
}
