/** Gathers the host facts the plan needs — only those the component's rules look at. */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { messageOf } from "../../errors.ts";
import { silentLogger, type Logger } from "../../log/logger.ts";
import { ec2Hostname, fqdnHostname } from "./aws.ts";
import { wantsHostname } from "./args.ts";
import { dockerInfo } from "./docker.ts";
import type { Facts } from "./facts-types.ts";
import { mountsUnder } from "./mountinfo.ts";
import { at, type EntrypointPaths, type Env } from "./paths.ts";
import { HOST_OS_RELEASES, IPTABLES_WRAPPER, RESOLVED_CONF } from "./plan.ts";

export interface FactsOptions {
  signal?: AbortSignal;
  log?: Logger;
}

const PROGRAMS = ["update-alternatives", "modprobe"];

export async function gatherFacts(argv: readonly string[], env: Env, paths: EntrypointPaths, opts: FactsOptions = {}): Promise<Facts> {
  const log = opts.log ?? silentLogger;
  const facts: Facts = {
    programs: Object.fromEntries(PROGRAMS.map((p) => [p, Bun.which(p, { PATH: env.PATH ?? "" }) !== null])),
    iptablesWrapper: await isFile(at(paths, IPTABLES_WRAPPER)),
    brNetfilterLoaded: await exists(join(paths.proc, "sys/net/bridge")),
    mounts: [],
    cgroupDirs: [],
    selinux: false,
    systemdResolved: false,
    resolvedConf: false,
  };
  if (wantsHostname(argv)) facts.hostname = await hostname(paths, opts, log);
  if (argv[0] !== "kubelet") return facts;

  try {
    facts.docker = await dockerInfo(paths.dockerSock, { signal: opts.signal, log });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    log.warn("Cannot ask Docker for its cgroup driver, cgroup version and root dir", { error: messageOf(e) });
  }
  facts.mounts = mountsUnder(await readFile(join(paths.proc, "self/mountinfo"), "utf8").catch(() => ""), paths.root);
  facts.cgroupDirs = await dirsIn(at(paths, "/sys/fs/cgroup"));
  facts.selinux = await exists(at(paths, "/sys/fs/selinux/enforce"));
  for (const f of HOST_OS_RELEASES) {
    if (await isFile(at(paths, f))) {
      facts.hostOsRelease = f;
      break;
    }
  }
  facts.systemdResolved = await processRunning(paths.proc, "systemd-resolved");
  facts.resolvedConf = await isFile(at(paths, RESOLVED_CONF));
  return facts;
}

async function hostname(paths: EntrypointPaths, opts: FactsOptions, log: Logger): Promise<Facts["hostname"]> {
  try {
    return { value: await ec2Hostname(paths.ec2Imds, { signal: opts.signal, log }), source: "ec2-imds" };
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    log.info("EC2 metadata gave no hostname, using the host's fully qualified name", { error: messageOf(e) });
    return { value: await fqdnHostname(at(paths, "/etc/hosts")), source: "hostname -f" };
  }
}

/**
 * pgrep without pgrep: a process whose name (comm, cut by the kernel to 15 bytes) or command line
 * names `name`. /proc is the host's: RKE runs kubelet with the host's PID namespace.
 */
export async function processRunning(proc: string, name: string): Promise<boolean> {
  const comm = name.slice(0, 15);
  let pids: string[];
  try {
    pids = (await readdir(proc)).filter((d) => /^\d+$/.test(d));
  } catch {
    return false;
  }
  for (const pid of pids) {
    const c = (await readFile(join(proc, pid, "comm"), "utf8").catch(() => "")).trim();
    if (c === comm) return true;
    if (c === "") continue;
    const cmdline = await readFile(join(proc, pid, "cmdline"), "utf8").catch(() => "");
    if (cmdline.split("\0")[0]?.endsWith(`/${name}`)) return true;
  }
  return false;
}

async function dirsIn(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  // `[ -d ]` follows links: cpu -> cpu,cpuacct counts.
  for (const n of names.sort()) if ((await stat(join(dir, n)).catch(() => undefined))?.isDirectory()) out.push(n);
  return out;
}

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined)) !== undefined;
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}
