/**
 * nginx.conf from the embedded template (templates/nginx.conf.tmpl). For IPv4 control planes the
 * output is byte-for-byte what the original's confd template produced (its Go template left the
 * blank, indented lines around each `server`, kept here on purpose).
 */
import template from "../../../templates/nginx.conf.tmpl" with { type: "text" };
import type { ControlPlaneHost } from "./hosts.ts";

export interface RenderOptions {
  /** What nginx listens on: `6443` (every IPv4 address). */
  listen?: string;
  /** The IPv6 listen, when `listenIPv6`: `[::]:6443`. */
  listen6?: string;
  /** Port of the kube-apiservers (6443). */
  upstreamPort?: number;
  /** Add `listen [::]:6443` (the node has IPv6 and a control-plane host is IPv6). */
  listenIPv6?: boolean;
  /** A Debian-style `modules-enabled` directory to include (where the stream module is dynamic). */
  modulesInclude?: string;
}

export function renderNginxConf(hosts: readonly ControlPlaneHost[], opts: RenderOptions = {}): string {
  const upstreamPort = opts.upstreamPort ?? 6443;
  const servers = hosts.map((h) => `\n            server ${h.address}:${upstreamPort};\n            `).join("");
  const values: Record<string, string> = {
    modules: opts.modulesInclude ? `include ${opts.modulesInclude};\n\n` : "",
    servers,
    listen: opts.listen ?? "6443",
    listen6: opts.listenIPv6 ? `\n            listen        ${opts.listen6 ?? "[::]:6443"};` : "",
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = values[k];
    if (v === undefined) throw new Error(`templates/nginx.conf.tmpl: unknown placeholder {{${k}}}`);
    return v;
  });
}
