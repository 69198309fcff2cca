/**
 * Where nginx-proxy writes and what it runs. Production values are the original's; the
 * RKE_TOOLS_NGINX_* variables exist for the tests only (so that they run nginx on a free loopback
 * port with a config in a temporary folder) and are never set in the image.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { ErrorCode, RkeToolsError } from "../../errors.ts";

export interface NginxSettings {
  /** /etc/nginx/nginx.conf */
  confPath: string;
  /** True when confPath was relocated: nginx then gets `-c` and a pid file beside the config. */
  relocated: boolean;
  /** The nginx program: a path, or a name looked up in PATH. */
  nginx: string;
  /** `listen` argument: 6443 (every IPv4 address, as the original). */
  listen: string;
  /** `listen` argument when IPv6 is served: [::]:6443. */
  listen6: string;
  upstreamPort: number;
}

export const DEFAULT_CONF = "/etc/nginx/nginx.conf";
export const MODULES_ENABLED_DIR = "/etc/nginx/modules-enabled";

function port(env: Record<string, string | undefined>, name: string): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return 6443;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new RkeToolsError(ErrorCode.InvalidInput, `${name}=${raw} is not a port number`);
  return n;
}

/** A test-only `listen` override: `<port>`, `<ipv4>:<port>` or `[<ipv6>]:<port>`. */
function listen(env: Record<string, string | undefined>, name: string, def: string): string {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  if (!/^(\d+|[0-9.]+:\d+|\[[0-9a-fA-F:.]+\]:\d+)$/.test(raw)) throw new RkeToolsError(ErrorCode.InvalidInput, `${name}=${raw} is not a port or address:port`);
  return raw;
}

export function settingsFrom(env: Record<string, string | undefined>): NginxSettings {
  const conf = env.RKE_TOOLS_NGINX_CONF || DEFAULT_CONF;
  return {
    confPath: conf,
    relocated: conf !== DEFAULT_CONF,
    nginx: env.RKE_TOOLS_NGINX_BIN || "nginx",
    listen: listen(env, "RKE_TOOLS_NGINX_LISTEN", "6443"),
    listen6: listen(env, "RKE_TOOLS_NGINX_LISTEN6", "[::]:6443"),
    upstreamPort: port(env, "RKE_TOOLS_NGINX_UPSTREAM_PORT"),
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
