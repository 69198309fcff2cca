/**
 * Performs the plan. Each action is logged once (what was done, or why it failed). As in the
 * original script, which ran without `set -e`, a failed preparation step is a warning and the
 * component is started anyway; only starting the component itself can fail the entrypoint.
 */
import { closeSync, openSync, constants as fsc } from "node:fs";
import { mkdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ErrorCode, RkeToolsError, messageOf } from "../../errors.ts";
import { writeFileAtomic } from "../../fs/atomic.ts";
import type { Logger } from "../../log/logger.ts";
import { execvp, mount, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_REC, MS_REMOUNT, umount } from "../../sys/index.ts";
import type { Action } from "./actions.ts";
import { fixAzureCloudConfig } from "./azure.ts";
import { at, type EntrypointPaths, type Env } from "./paths.ts";
import { relabelTree } from "./selinux.ts";
import { supervise } from "./supervise.ts";

export interface ActOptions {
  env: Env;
  paths: EntrypointPaths;
  log: Logger;
  signal: AbortSignal;
}

/** Runs every action in order; returns the exit code when the last one does not replace the process. */
export async function act(actions: readonly Action[], opts: ActOptions): Promise<number> {
  for (const a of actions) {
    if (a.do === "exec") return exec(a.argv, opts);
    if (a.do === "supervise") {
      const [criDockerd, ...flags] = a.first;
      return supervise([at(opts.paths, criDockerd!), ...flags], a.second, { ...a, env: opts.env, log: opts.log, signal: opts.signal, root: opts.paths.root });
    }
    if (a.do === "skip") {
      opts.log.info(`skipped: ${a.what}`, { why: a.why });
      continue;
    }
    opts.signal.throwIfAborted();
    try {
      const note = await perform(a, opts);
      opts.log.info(describe(a), note);
    } catch (e) {
      opts.log.warn(`${describe(a)} failed, continuing`, { error: messageOf(e) });
    }
  }
  return 0;
}

/** One line per action, in the words of the command the original ran. */
export function describe(a: Action): string {
  switch (a.do) {
    case "run":
      return a.argv.join(" ");
    case "azure-cloud-config":
      return "Azure cloud config fix-up";
    case "umount":
      return `umount ${a.target}`;
    case "rbind":
      return `mount --rbind ${a.source} ${a.target}`;
    case "bind":
      return `mount --bind ${a.source} ${a.target}`;
    case "remount-rw":
      return `mount -o rw,remount ${a.target}`;
    case "mkdir":
      return `mkdir -p ${a.path}`;
    case "relabel":
      return `chcon -Rt ${a.type} ${a.path}`;
    case "touch":
      return `touch ${a.path}`;
    case "sysctl":
      return `sysctl -w ${a.key}=${a.value}`;
    case "symlink":
      return `ln -sf ${a.target} ${a.path}`;
    case "registry-config":
      return `write the registry docker config to ${a.path}`;
    case "skip":
      return `skipped: ${a.what}`;
    case "exec":
      return `exec ${a.argv.join(" ")}`;
    case "supervise":
      return `${a.first.join(" ")} & ${a.second.join(" ")} & wait -n`;
  }
}

async function perform(a: Exclude<Action, { do: "exec" | "supervise" | "skip" }>, opts: ActOptions): Promise<Record<string, unknown> | undefined> {
  const p = (path: string) => at(opts.paths, path);
  switch (a.do) {
    case "run":
      return run(a.argv, opts.env);
    case "azure-cloud-config": {
      const r = await fixAzureCloudConfig(opts.paths.cloudConfig, {
        imds: opts.paths.azureImds,
        aad: opts.paths.azureAad,
        arm: opts.paths.azureArm,
        signal: opts.signal,
        log: opts.log,
      });
      if (!r.updated) throw new RkeToolsError(ErrorCode.NotFound, `Some variables were not populated correctly, using the passed config! (empty: ${r.missing.join(", ")})`);
      return { file: opts.paths.cloudConfig };
    }
    case "umount":
      umount(p(a.target));
      return;
    case "rbind":
      mount(p(a.source), p(a.target), null, MS_BIND | MS_REC);
      return;
    case "bind":
      mount(p(a.source), p(a.target), null, MS_BIND);
      return;
    case "remount-rw":
      mount(null, p(a.target), null, MS_REMOUNT | keptFlags(a.options), a.data);
      return;
    case "mkdir":
      await mkdir(p(a.path), { recursive: true });
      return;
    case "relabel":
      return { changed: await relabelTree(p(a.path), a.type) };
    case "touch":
      closeSync(openSync(p(a.path), fsc.O_WRONLY | fsc.O_CREAT, 0o644));
      return;
    case "sysctl":
      await writeFile(join(opts.paths.proc, "sys", ...a.key.split(".")), a.value);
      return;
    case "symlink":
      return lnsf(a.target, p(a.path));
    case "registry-config":
      return registryConfig(p(a.path), opts);
  }
}

/** The per-mount flags mount(8) keeps on `-o rw,remount` (it reads them from mountinfo too). */
const KEPT: Record<string, number> = { nosuid: MS_NOSUID, nodev: MS_NODEV, noexec: MS_NOEXEC, noatime: 0x400, nodiratime: 0x800, relatime: 0x200000, strictatime: 0x1000000 };

function keptFlags(options: readonly string[]): number {
  return options.reduce((flags, o) => flags | (KEPT[o] ?? 0), 0);
}

async function run(argv: string[], env: Env): Promise<Record<string, unknown>> {
  const proc = Bun.spawn(argv, { env: env as Record<string, string>, stdin: "ignore", stdout: "inherit", stderr: "inherit" });
  const code = await proc.exited;
  if (code !== 0) throw new RkeToolsError(ErrorCode.Exec, `${argv[0]} exited with status ${code}`);
  return { status: code };
}

/** ln -sf: a new link under a temporary name, renamed over the old one. */
async function lnsf(target: string, path: string): Promise<undefined> {
  const tmp = join(dirname(path), `.${Date.now()}.rke-tmp-link`);
  await symlink(target, tmp);
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** RKE_KUBELET_DOCKER_CONFIG is base64 of a docker config.json with registry credentials. */
async function registryConfig(path: string, opts: ActOptions): Promise<Record<string, unknown>> {
  const raw = (opts.env.RKE_KUBELET_DOCKER_CONFIG ?? "").replace(/\s+/g, "");
  opts.log.addSecret(raw);
  if (raw.length % 4 !== 0 || !BASE64.test(raw)) throw new RkeToolsError(ErrorCode.InvalidInput, "RKE_KUBELET_DOCKER_CONFIG is not valid base64");
  const content = Buffer.from(raw, "base64");
  opts.log.addSecret(content.toString("utf8"));
  await writeFileAtomic(path, content, { mode: 0o600 });
  return { bytes: content.byteLength };
}

function exec(argv: string[], opts: ActOptions): never {
  const [file] = argv;
  if (!file) throw new RkeToolsError(ErrorCode.Usage, "no component to start");
  opts.log.info(`exec ${argv.join(" ")}`);
  return execvp(file, argv, opts.env);
}
