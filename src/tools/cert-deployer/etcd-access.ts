/**
 * With ETCD_UID/ETCD_GID (etcd running as a non-root user, services.etcd.uid/gid): the original's
 * steps, in its order — ACL mask `m::rX` on the folder recursively, the user and group ACL entries
 * of those ids removed (setfacl; they would otherwise outlive a uid change), every `*kube-etcd*.pem`
 * chowned to uid:gid, `kube-ca.pem` 0644 (etcd must read it; CIS otherwise wants 0600, rancher#42012),
 * the folder 0755. setfacl runs as the original ran it, so ACLs end up identical.
 */
import { constants, promises as fsp } from "node:fs";
import { join } from "node:path";
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";

export interface EtcdAccessOptions {
  log?: Logger;
  /** The setfacl program, or undefined when it is not installed. */
  setfacl?: string;
  signal?: AbortSignal;
}

/**
 * Parses ETCD_UID / ETCD_GID: both non-empty (else undefined, as the original's `-n` tests), decimal
 * ids. Called after the certificates are written: a bad id (RKE only checks non-zero, so -1 gets
 * through) costs etcd's ownership, never the certificates, as in the original where only chown failed.
 */
export function etcdIds(env: Record<string, string | undefined>): { uid: number; gid: number } | undefined {
  const u = env.ETCD_UID ?? "";
  const g = env.ETCD_GID ?? "";
  if (u === "" || g === "") return undefined;
  for (const [name, v] of [
    ["ETCD_UID", u],
    ["ETCD_GID", g],
  ] as const) {
    if (!/^\d+$/.test(v) || Number(v) > 0xfffffffe) {
      throw new RkeToolsError(ErrorCode.InvalidInput, `${name}=${v} is not a numeric id: etcd's ownership of its certificates left as it is`);
    }
  }
  return { uid: Number(u), gid: Number(g) };
}

async function setfacl(program: string, args: string[], signal?: AbortSignal): Promise<void> {
  const proc = Bun.spawn([program, ...args], { stdin: "ignore", stdout: "ignore", stderr: "pipe", signal });
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new RkeToolsError(ErrorCode.Io, `setfacl ${args.join(" ")} failed: ${err.trim() || `exit status ${code}`}`);
}

/** Applies the steps; returns problems (one line each) instead of stopping at the first. */
export async function grantEtcdAccess(dir: string, ids: { uid: number; gid: number }, opts: EtcdAccessOptions = {}): Promise<string[]> {
  const log = opts.log ?? silentLogger;
  const problems: string[] = [];
  if (opts.setfacl) {
    for (const args of [
      ["-R", "-m", "m::rX", dir],
      ["-R", "-x", `u:${ids.uid}`, dir],
      ["-R", "-x", `g:${ids.gid}`, dir],
    ]) {
      try {
        await setfacl(opts.setfacl, args, opts.signal);
      } catch (e) {
        problems.push((e as Error).message);
      }
    }
    log.info("Set the ACL mask and removed the etcd user/group ACL entries", { dir, uid: ids.uid, gid: ids.gid });
  } else {
    log.warn("setfacl is not installed: ACL mask and etcd ACL entries left as they are (install the acl package)", { dir });
  }
  for (const name of (await fsp.readdir(dir)).filter((n) => n.endsWith(".pem") && !n.startsWith(".")).sort()) {
    const path = join(dir, name);
    const chown = name.includes("kube-etcd");
    const chmod = name.endsWith("kube-ca.pem");
    if (!chown && !chmod) continue;
    // Through a descriptor opened without following a symlink: a link to a file outside the
    // folder (/etc/shadow) must not be handed to etcd's user nor made world-readable.
    let fh: fsp.FileHandle | undefined;
    try {
      fh = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      if (!(await fh.stat()).isFile()) {
        log.warn(`${path} is not a regular file: owner and mode left as they are`);
        continue;
      }
      if (chown) await fh.chown(ids.uid, ids.gid);
      if (chmod) await fh.chmod(0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ELOOP") log.warn(`${path} is a symbolic link: not followed, owner and mode left as they are`);
      else problems.push(`Cannot set owner/mode of ${path}: ${(e as Error).message}`);
    } finally {
      await fh?.close();
    }
  }
  await fsp.chmod(dir, 0o755);
  return problems;
}
