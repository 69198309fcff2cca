import { describe, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseControlPlaneHosts } from "../../src/tools/nginx-proxy/hosts.ts";
import { nginxArgs } from "../../src/tools/nginx-proxy/nginx.ts";
import { BIN } from "../support/bin.ts";
import { renderNginxConf } from "../../src/tools/nginx-proxy/render.ts";
import { modulesInclude, nodeHasIPv6, settingsFrom } from "../../src/tools/nginx-proxy/settings.ts";

/**
 * The original's confd template (templates/nginx.tmpl in rancher/rke-tools, with the current
 * timeouts of docs/contract.md §a.2), and what Go's text/template made of it: the range body once per host.
 */
const ORIGINAL_TEMPLATE = `error_log stderr notice;

worker_processes auto;
events {
  multi_accept on;
  use epoll;
  worker_connections 1024;
}

stream {
        upstream kube_apiserver {
            {{ $servers := split (getenv "CP_HOSTS") "," }}{{range $servers}}
            server {{.}}:6443;
            {{end}}
        }

        server {
            listen        6443;
            proxy_pass    kube_apiserver;
            proxy_timeout 10m;
            proxy_connect_timeout 2s;

        }

}
`;

function renderLikeConfd(cpHosts: string): string {
  return ORIGINAL_TEMPLATE.replace(/\{\{ \$servers := split \(getenv "CP_HOSTS"\) "," \}\}\{\{range \$servers\}\}([\s\S]*?)\{\{end\}\}/, (_, body: string) =>
    cpHosts
      .split(",")
      .map((h) => body.replace("{{.}}", h))
      .join(""),
  );
}

describe("nginx.conf rendering", () => {
  for (const cp of ["10.0.0.1", "10.0.0.1,10.0.0.2,10.0.0.3", "172.16.5.20,cp-2.internal"]) {
    test(`IPv4/host-name control planes give the original's bytes: ${cp}`, () => {
      expect(renderNginxConf(parseControlPlaneHosts(cp).hosts)).toBe(renderLikeConfd(cp));
    });
  }

  test("IPv6 upstreams are bracketed and an IPv6 listen is added when asked", () => {
    const conf = renderNginxConf(parseControlPlaneHosts("fd00::10,10.0.0.2").hosts, { listenIPv6: true });
    expect(conf).toContain("\n            server [fd00::10]:6443;\n");
    expect(conf).toContain("\n            server 10.0.0.2:6443;\n");
    expect(conf).toContain("            listen        6443;\n            listen        [::]:6443;\n            proxy_pass    kube_apiserver;\n");
  });

  test("the original's directives are all there", () => {
    const conf = renderNginxConf(parseControlPlaneHosts("10.0.0.1").hosts);
    for (const d of [
      "error_log stderr notice;",
      "worker_processes auto;",
      "multi_accept on;",
      "use epoll;",
      "worker_connections 1024;",
      "proxy_timeout 10m;",
      "proxy_connect_timeout 2s;",
      "listen        6443;",
    ]) {
      expect(conf).toContain(d);
    }
    expect(conf).not.toContain("least_conn"); // round-robin, as RKE expects
  });

  test("the stream module's include comes first when a modules-enabled folder holds a .conf", () => {
    const dir = mkdtempSync(join(tmpdir(), "nginx-mods-"));
    try {
      const mods = join(dir, "modules-enabled");
      expect(modulesInclude(mods)).toBeUndefined(); // no folder: nginx.org build, stream built in
      mkdirSync(mods);
      expect(modulesInclude(mods)).toBeUndefined();
      writeFileSync(join(mods, "50-mod-stream.conf"), "load_module modules/ngx_stream_module.so;\n");
      expect(modulesInclude(mods)).toBe(`${mods}/*.conf`);
      const conf = renderNginxConf(parseControlPlaneHosts("10.0.0.1").hosts, { modulesInclude: modulesInclude(mods) });
      expect(conf).toStartWith(`include ${mods}/*.conf;\n\nerror_log stderr notice;\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("IPv6 on the node: /proc/net/if_inet6 present and not empty", () => {
    const dir = mkdtempSync(join(tmpdir(), "nginx-v6-"));
    try {
      expect(nodeHasIPv6(join(dir, "missing"))).toBe(false);
      writeFileSync(join(dir, "empty"), "");
      expect(nodeHasIPv6(join(dir, "empty"))).toBe(false);
      writeFileSync(join(dir, "lo"), "00000000000000000000000000000001 01 80 10 80       lo\n");
      expect(nodeHasIPv6(join(dir, "lo"))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("production settings unless the test-only variables are set", () => {
    expect(settingsFrom({})).toEqual({ confPath: "/etc/nginx/nginx.conf", relocated: false, nginx: "nginx", listen: "6443", listen6: "[::]:6443", upstreamPort: 6443 });
    expect(() => settingsFrom({ RKE_TOOLS_NGINX_UPSTREAM_PORT: "70000" })).toThrow('invalid value "70000" for env RKE_TOOLS_NGINX_UPSTREAM_PORT: not a port number (1–65535)');
    expect(() => settingsFrom({ RKE_TOOLS_NGINX_LISTEN: "x;y" })).toThrow('invalid value "x;y" for env RKE_TOOLS_NGINX_LISTEN: not a port or address:port');
  });
});

describe("nginx invocation", () => {
  test("production: exactly the original's `nginx -g 'daemon off;'`; relocated (tests): -c and a pid file beside the config", () => {
    expect(nginxArgs(settingsFrom({}))).toEqual(["-g", "daemon off;"]);
    expect(nginxArgs(settingsFrom({ RKE_TOOLS_NGINX_CONF: "/tmp/x/nginx.conf" }))).toEqual(["-c", "/tmp/x/nginx.conf", "-g", "daemon off; pid /tmp/x/nginx.pid;"]);
  });

  test("the template is inside the compiled executable", async () => {
    const bin = Buffer.from(await Bun.file(BIN).arrayBuffer());
    const template = readFileSync(join(import.meta.dir, "../../templates/nginx.conf.tmpl"), "utf8");
    expect(bin.indexOf(template)).toBeGreaterThan(0);
  });
});
