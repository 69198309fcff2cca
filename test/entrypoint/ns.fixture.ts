/**
 * Runs the compiled entrypoint.sh the way a container would, as root in a private mount namespace
 * (`unshare -m`) on a tmpfs root built by fixtures/ns-root.sh. The stand-in components report
 * their PID, argv and what the entrypoint left behind into files the test reads afterwards.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toolPath } from "../support/bin.ts";
import { recordOutput } from "../support/secrets.ts";
import { startDockerApi, type DockerApi, type DockerInfoFields } from "../support/docker-api.ts";

const FIX = join(import.meta.dir, "fixtures");

export interface NsRun {
  code: number;
  pid: number;
  stdout: string;
  stderr: string;
  /** Report files by suffix: kubelet, kube-proxy, cri-dockerd, programs, kubelet.term, … */
  reports: Record<string, string>;
}

export interface NsOptions {
  cgroupVersion?: "1" | "2";
  docker?: DockerInfoFields;
  env?: Record<string, string>;
  /** Called once the process runs (e.g. to send it a signal). */
  during?: (proc: { pid: number; kill: (sig: NodeJS.Signals) => void }, reportPath: (name: string) => string) => Promise<void>;
}

export async function runInNamespace(argv: string[], opts: NsOptions = {}): Promise<NsRun> {
  const t = mkdtempSync(join(tmpdir(), "entrypoint-ns-"));
  const root = join(t, "root");
  const bin = join(t, "bin");
  mkdirSync(root);
  mkdirSync(bin);
  for (const c of ["kubelet", "kube-proxy", "kube-apiserver"]) symlinkSync(join(FIX, "component.sh"), join(bin, c));
  for (const p of ["update-alternatives", "modprobe"]) symlinkSync(join(FIX, "recorder.sh"), join(bin, p));
  chmodSync(t, 0o755);
  const report = join(t, "report");
  let docker: DockerApi | undefined;
  try {
    docker = startDockerApi(opts.docker ?? { CgroupDriver: "cgroupfs", CgroupVersion: opts.cgroupVersion ?? "1", DockerRootDir: "/var/lib/docker" }, join(t, "docker.sock"));
    const env = {
      PATH: `${bin}:/usr/bin:/bin`,
      RKE_TOOLS_ENTRYPOINT_ROOT: root,
      RKE_TOOLS_PROC_DIR: `${root}/.proc`,
      RKE_TOOLS_DOCKER_SOCK: docker.socket,
      RKE_TOOLS_EC2_IMDS_URL: "http://127.0.0.1:9", // discard port: nothing answers
      COMPONENT_REPORT: report,
      FIXTURE_CRIDOCKERD: join(FIX, "cri-dockerd.sh"),
      ...opts.env,
    };
    const proc = Bun.spawn(["unshare", "-m", "--propagation", "private", join(FIX, "ns-root.sh"), opts.cgroupVersion ?? "1", toolPath("entrypoint.sh"), ...argv], {
      env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: 60_000,
    });
    const out = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    if (opts.during) await opts.during({ pid: proc.pid, kill: (s) => proc.kill(s) }, (name) => `${report}.${name}`);
    const code = await proc.exited;
    const [stdout, stderr] = await out;
    recordOutput(`entrypoint.sh ${argv.join(" ")} (in a mount namespace)`, stdout, stderr);
    const reports: Record<string, string> = {};
    for (const f of readdirSync(t)) if (f.startsWith("report.")) reports[f.slice("report.".length)] = readFileSync(join(t, f), "utf8");
    return { code, pid: proc.pid, stdout, stderr, reports };
  } finally {
    await docker?.stop();
    rmSync(t, { recursive: true, force: true });
  }
}

/** Values of `key=` lines in a report. */
export function values(report: string | undefined, key: string): string[] {
  return (report ?? "").split("\n").flatMap((l) => (l.startsWith(`${key}=`) ? [l.slice(key.length + 1)] : []));
}

/** Polls a condition until it holds or the deadline passes (no fixed sleeps). */
export async function until(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(20);
  }
}
