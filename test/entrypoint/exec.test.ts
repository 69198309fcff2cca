/** The final exec through the compiled executable, without root: components that need no preparation. */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lastLine, runTool, toolPath } from "../support/bin.ts";
import { recordOutput } from "../support/secrets.ts";

const dir = mkdtempSync(join(tmpdir(), "entrypoint-exec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const report = join(dir, "report");
const script = join(dir, "kube-apiserver");
writeFileSync(script, `#!/bin/sh\n{ echo "pid=$$"; for a in "$@"; do echo "arg=$a"; done; echo "env=$RKE_CLOUD_CONFIG_CHECKSUM"; } > "${report}"\nexit 4\n`);
chmodSync(script, 0o755);
const env = { PATH: `${dir}:/usr/bin:/bin`, RKE_TOOLS_ENTRYPOINT_ROOT: dir, RKE_CLOUD_CONFIG_CHECKSUM: "abc123", COMPONENT_REPORT: report };
// Files are relocated (RKE_TOOLS_ENTRYPOINT_ROOT), commands are not: the programs the entrypoint
// runs get stand-ins ahead of /usr/bin, so the host's update-alternatives and modprobe never run.
for (const p of ["update-alternatives", "modprobe"]) symlinkSync(join(import.meta.dir, "fixtures", "recorder.sh"), join(dir, p));

describe("entrypoint.sh final exec", () => {
  test("the component replaces the entrypoint: same PID, same arguments in order, same env, its exit status", async () => {
    const args = ["--etcd-servers=https://10.0.0.1:2379", "--v=2", "--flag with space=x"];
    const proc = Bun.spawn([toolPath("entrypoint.sh"), "kube-apiserver", ...args], { env, stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    recordOutput("entrypoint.sh kube-apiserver", stdout, stderr);
    expect(code).toBe(4);
    const lines = readFileSync(report, "utf8").trim().split("\n");
    expect(lines).toEqual([`pid=${proc.pid}`, ...args.map((a) => `arg=${a}`), "env=abc123"]);
    expect(lastLine(stderr)).toContain(`msg="exec kube-apiserver ${args.join(" ")}"`);
  });

  test("kube-proxy with the iptables wrapper in its image: the stand-in update-alternatives runs, never the host's (issue 19, item 22)", async () => {
    mkdirSync(join(dir, "usr/sbin"), { recursive: true });
    writeFileSync(join(dir, "usr/sbin/iptables-wrapper"), "");
    const proxy = join(dir, "kube-proxy");
    writeFileSync(proxy, "#!/bin/sh\nexit 0\n");
    chmodSync(proxy, 0o755);
    const r = await runTool("entrypoint.sh", ["kube-proxy", "--v=2"], { env: { ...env, RKE_TOOLS_PROC_DIR: join(dir, "proc") } });
    expect(r.code).toBe(0);
    expect(readFileSync(`${report}.programs`, "utf8").split("\n")).toContain("update-alternatives --set iptables /usr/sbin/iptables-wrapper");
  });

  test("a component not on PATH: one clear last line, non-zero exit", async () => {
    const r = await runTool("entrypoint.sh", ["kube-scheduler", "--v=2"], { env });
    expect(r.code).not.toBe(0);
    expect(lastLine(r.stderr)).toMatch(/level=fatal msg="Cannot execute kube-scheduler: executable file not found in \$PATH"/);
  });

  test("no component: usage line, exit 2", async () => {
    const r = await runTool("entrypoint.sh", [], { env });
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toContain("entrypoint.sh needs the command to start as its first argument");
  });
});
