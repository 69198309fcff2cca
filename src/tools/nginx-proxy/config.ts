/**
 * nginx.conf written so that a config nginx refuses never replaces a good one: rendered from
 * CP_HOSTS, written under a temporary name in its folder, checked there with `nginx -t` (when
 * nginx is installed), then renamed into place.
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { cleanStaleTemps, writeFileAtomic } from "../../fs/atomic.ts";
import type { ControlPlaneHost } from "./hosts.ts";
import { testConfig } from "./nginx.ts";
import { renderNginxConf } from "./render.ts";
import { modulesInclude, type NginxSettings } from "./settings.ts";

export interface WriteConfigOptions {
  /** Add the IPv6 listen (a control-plane host is IPv6 and so is the node). */
  listenIPv6: boolean;
  /** The nginx program that checks the config; unchecked without one (the caller cannot start nginx then). */
  nginx?: string;
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
}

/** Returns the config's path; throws nginx -t's complaint (E_EXEC) or the write's error, leaving the old config. */
export async function writeConfig(hosts: readonly ControlPlaneHost[], s: NginxSettings, opts: WriteConfigOptions): Promise<string> {
  const conf = renderNginxConf(hosts, { listen: s.listen, listen6: s.listen6, upstreamPort: s.upstreamPort, listenIPv6: opts.listenIPv6, modulesInclude: modulesInclude() });
  await mkdir(dirname(s.confPath), { recursive: true });
  await cleanStaleTemps(dirname(s.confPath)); // left by a run killed mid-write
  const nginx = opts.nginx;
  await writeFileAtomic(s.confPath, conf, {
    mode: 0o644,
    beforeCommit: nginx ? (tempPath) => testConfig(nginx, tempPath, s, { signal: opts.signal, env: opts.env }) : undefined,
  });
  return s.confPath;
}
