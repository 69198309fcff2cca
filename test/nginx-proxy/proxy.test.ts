/**
 * nginx-proxy end to end: the compiled executable (a copy outside the repository, proving the
 * template is embedded) renders the config, checks it with the real nginx, and execs nginx, which
 * then proxies to real TCP backends on loopback.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { BIN, lastLine } from "../support/bin.ts";
import { describeWith, isRoot } from "../support/components.ts";
import { recordOutput } from "../support/secrets.ts";
import { Backend, backendPair, Client, freePort, nginxStream, waitFor, whoAnswers } from "./support.ts";

let work: string;
let tool: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "nginx-proxy-"));
  const bin = join(work, "bin");
  mkdirSync(bin);
  copyFileSync(BIN, join(bin, "rke-tools"));
  symlinkSync("rke-tools", join(bin, "nginx-proxy"));
  tool = join(bin, "nginx-proxy");
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Proxy {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  conf: string;
  port: number;
  stderr: () => string;
}

async function startProxy(name: string, cpHosts: string, upstreamPort: number, extraEnv: Record<string, string> = {}): Promise<Proxy> {
  const dir = join(work, name);
  mkdirSync(dir);
  const conf = join(dir, "nginx.conf");
  const port = await freePort("127.0.0.1");
  const proc = Bun.spawn([tool, `CP_HOSTS=${cpHosts}`], {
    env: {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      CP_HOSTS: cpHosts,
      RKE_TOOLS_NGINX_CONF: conf,
      RKE_TOOLS_NGINX_LISTEN: `127.0.0.1:${port}`,
      RKE_TOOLS_NGINX_UPSTREAM_PORT: String(upstreamPort),
      ...extraEnv,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let err = "";
  void (async () => {
    for await (const chunk of proc.stderr) err += new TextDecoder().decode(chunk);
  })();
  // nginx writes its pid file after it has bound its listening sockets (`nginx -t` writes one too,
  // with its own PID: wait for ours).
  const pidFile = join(dir, "nginx.pid");
  const ours = () => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() === String(proc.pid);
  await waitFor(`nginx to start (${name})`, () => ours() || proc.exitCode !== null);
  if (proc.exitCode !== null) throw new Error(`nginx-proxy exited ${proc.exitCode}: ${err}`);
  return { proc, conf, port, stderr: () => err };
}

async function stopProxy(p: Proxy): Promise<number> {
  p.proc.kill("SIGTERM");
  const code = await p.proc.exited;
  recordOutput("nginx-proxy", p.stderr());
  return code;
}

describeWith([nginxStream, isRoot], "nginx-proxy with real nginx", () => {
  let a: Backend;
  let b: Backend;
  let proxy: Proxy;

  beforeAll(async () => {
    [a, b] = await backendPair();
    proxy = await startProxy("v4", "127.0.0.2,127.0.0.3,127.0.0.2", a.port);
  });

  afterAll(async () => {
    await a.stop();
    await b.stop();
  });

  test("it became nginx: same PID, nginx in the foreground with daemon off", async () => {
    const pid = proxy.proc.pid;
    expect(readlinkSync(`/proc/${pid}/exe`)).toBe("/usr/sbin/nginx");
    // nginx sets its process title just after writing its pid file.
    const cmdline = () => readFileSync(`/proc/${pid}/cmdline`, "utf8");
    await waitFor("nginx's process title", () => cmdline().startsWith("nginx: master"));
    expect(cmdline()).toStartWith("nginx: master process nginx -c ");
    expect(cmdline()).toContain("-g daemon off;");
    expect(Number(readFileSync(join(proxy.conf, "..", "nginx.pid"), "utf8").trim())).toBe(pid);
    expect(proxy.stderr()).toContain('level=warning msg="Dropped duplicate CP_HOSTS entries" duplicates="[127.0.0.2]"');
  });

  test("the config it wrote: both upstreams once, the original's directives", () => {
    const conf = readFileSync(proxy.conf, "utf8");
    expect(conf.match(/server 127\.0\.0\.\d:\d+;/g)).toEqual([`server 127.0.0.2:${a.port};`, `server 127.0.0.3:${a.port};`]);
    expect(conf).toContain(`listen        127.0.0.1:${proxy.port};\n`);
    expect(conf).not.toContain("[::]"); // IPv4 control plane: no IPv6 listen
    expect(conf).toContain("proxy_timeout 10m;");
    expect(conf).toContain("proxy_connect_timeout 2s;");
  });

  test("proxies TCP to both backends", async () => {
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 12 && seen.size < 2; i++) seen.add(await whoAnswers("127.0.0.1", proxy.port));
    expect([...seen].sort()).toEqual(["backend-a", "backend-b"]);
  });

  test("an idle connection survives 15 s (proxy_timeout 10m; the old 5 s/30 s settings cut watches)", async () => {
    const c = await Client.connect("127.0.0.1", proxy.port);
    try {
      expect(await c.line()).toMatch(/^backend-[ab]$/);
      await Bun.sleep(15_000); // the idle period under test, not a synchronisation
      c.send("still there?\n");
      expect(await c.line()).toBe("still there?");
    } finally {
      c.close();
    }
  }, 30_000);

  test("fails over when one backend is down", async () => {
    await b.stop();
    const answers: (string | undefined)[] = [];
    for (let i = 0; i < 6; i++) answers.push(await whoAnswers("127.0.0.1", proxy.port));
    expect(answers).toEqual(Array(6).fill("backend-a"));
  });

  test("SIGTERM reaches nginx, which exits", async () => {
    expect(await stopProxy(proxy)).toBe(0);
    await waitFor("nginx to log its exit", () => proxy.stderr().includes("exit"));
    expect(proxy.stderr()).toContain("signal 15 (SIGTERM) received");
  });
});

describeWith([nginxStream, isRoot], "nginx-proxy, IPv6 control plane", () => {
  test("::1 backend: bracketed upstream, IPv6 listen, reachable over both families", async () => {
    const v6 = await Backend.start("backend-v6", "::1");
    const port6 = await freePort("::1");
    const proxy = await startProxy("v6", "::1", v6.port, { RKE_TOOLS_NGINX_LISTEN6: `[::1]:${port6}` }).catch(async (e) => {
      await v6.stop();
      throw e;
    });
    try {
      const conf = readFileSync(proxy.conf, "utf8");
      expect(conf).toContain(`server [::1]:${v6.port};`);
      expect(conf).toContain(`listen        127.0.0.1:${proxy.port};\n            listen        [::1]:${port6};\n`);
      expect(await whoAnswers("127.0.0.1", proxy.port)).toBe("backend-v6");
      expect(await whoAnswers("::1", port6)).toBe("backend-v6");
    } finally {
      await stopProxy(proxy);
      await v6.stop();
    }
  });
});

describeWith([nginxStream, isRoot], "nginx-proxy refusals", () => {
  async function run(env: Record<string, string>) {
    const dir = mkdtempSync(join(work, "bad-"));
    const conf = join(dir, "nginx.conf");
    writeFileSync(conf, "# the previous, working config\n");
    const proc = Bun.spawn([tool, `CP_HOSTS=${env.CP_HOSTS ?? ""}`], {
      env: { PATH: "/usr/sbin:/usr/bin:/bin", RKE_TOOLS_NGINX_CONF: conf, ...env },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    recordOutput("nginx-proxy", stderr);
    return { code, stderr, conf: readFileSync(conf, "utf8"), leftovers: (await Array.fromAsync(new Bun.Glob(".*").scan({ cwd: dir, dot: true }))).length };
  }

  test("a malformed CP_HOSTS: one line naming CP_HOSTS and the entry, old config untouched", async () => {
    const r = await run({ CP_HOSTS: "10.0.0.1,,10.0.0.2" });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/level=fatal msg="Cannot configure nginx-proxy: CP_HOSTS entry 2 \\"\\" is empty \(CP_HOSTS=\\"10.0.0.1,,10.0.0.2\\"\)"$/);
    expect(r.conf).toBe("# the previous, working config\n");
  });

  test("no nginx: the config is still written, then one line saying nginx is missing", async () => {
    const r = await run({ CP_HOSTS: "10.0.0.1", PATH: "/nonexistent" });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain('level=fatal msg="Cannot start nginx: nginx not found in PATH"');
    expect(r.conf).toContain("server 10.0.0.1:6443;");
    // The program is always `nginx` from PATH: no variable picks another (the old RKE_TOOLS_NGINX_BIN is ignored).
    const p = await run({ CP_HOSTS: "10.0.0.1", PATH: "/nonexistent", RKE_TOOLS_NGINX_BIN: "/bin/true" });
    expect(lastLine(p.stderr)).toContain('level=fatal msg="Cannot start nginx: nginx not found in PATH"');
  });

  test("nginx -t refuses: nginx's [emerg] is the last line, old config untouched, no temp file left", async () => {
    const r = await run({ CP_HOSTS: "10.0.0.1", RKE_TOOLS_NGINX_LISTEN: "127.0.0.1:99999" });
    expect(r.code).toBe(1);
    const last = lastLine(r.stderr);
    expect(last).toContain("level=fatal");
    expect(last).toContain("failed nginx -t: [emerg] invalid port");
    expect(last).toContain('invalid port in \\"127.0.0.1:99999\\" of the \\"listen\\" directive');
    expect(last).toMatch(/nginx\.conf:\d+"$/); // names the final path, not the temporary one
    expect(r.conf).toBe("# the previous, working config\n");
    expect(r.leftovers).toBe(0);
  });
});
