/**
 * Writes the planned files: certificates when missing or FORCE_DEPLOY=true, kubeconfigs only when
 * missing (never forced). Each file atomically with mode 0600 from its first byte. A value that is
 * not PEM where PEM is expected is reported and skipped; everything else is still deployed. Never
 * waits on anything: RKE waits for this container with no timeout (docs/contract.md §a.3).
 */
import { promises as fsp, type Stats } from "node:fs";
import { join } from "node:path";
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { AtomicFile, cleanStaleTemps } from "../../fs/atomic.ts";
import { ACL_ACCESS, getxattr, setxattr } from "../../sys/index.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";
import { type Item, looksLikePem } from "./plan.ts";

export interface DeployOptions {
  /** FORCE_DEPLOY=true: rewrite existing certificates (not kubeconfigs). */
  force?: boolean;
  log?: Logger;
}

export interface DeployReport {
  written: string[];
  kept: string[];
  /** One line per item that could not be deployed. */
  problems: string[];
}

async function statOf(path: string): Promise<Stats | undefined> {
  try {
    return await fsp.stat(path);
  } catch {
    return undefined;
  }
}

/**
 * Writes `content` atomically, mode 0600 from the first byte. A replaced file's owner and ACL are
 * carried over, as the original's in-place `echo > file` kept them; its `chmod 600` afterwards then
 * masks any named ACL entries (mask::---), which the final chmod here reproduces.
 */
async function writeReplacing(path: string, content: string, old: Stats | undefined): Promise<void> {
  const f = await AtomicFile.create(path, { mode: 0o600 });
  try {
    if (old) {
      if (old.uid !== process.getuid?.() || old.gid !== process.getgid?.()) await fsp.chown(f.tempPath, old.uid, old.gid);
      const acl = getxattr(path, ACL_ACCESS);
      if (acl) setxattr(f.tempPath, ACL_ACCESS, acl);
      await fsp.chmod(f.tempPath, 0o600);
    }
    await f.write(new TextEncoder().encode(content));
    await f.commit();
  } finally {
    await f.abort();
  }
}

export async function deployItems(dir: string, items: readonly Item[], opts: DeployOptions = {}): Promise<DeployReport> {
  const log = opts.log ?? silentLogger;
  try {
    await fsp.mkdir(dir, { recursive: true });
    await fsp.chmod(dir, 0o755);
    await cleanStaleTemps(dir); // left by a run killed mid-write
  } catch (e) {
    throw new RkeToolsError(ErrorCode.Io, `Cannot deploy certificates: cannot create ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const report: DeployReport = { written: [], kept: [], problems: [] };
  for (const item of items) {
    const path = join(dir, item.fileName);
    if (item.fileName.includes("/") || item.fileName.startsWith(".")) {
      report.problems.push(`${item.envName}: ${JSON.stringify(item.fileName)} is not a file name`);
      continue;
    }
    if (item.kind === "certificate" && !looksLikePem(item.content)) {
      report.problems.push(`${item.envName} is not PEM (${item.fileName} not written)`);
      continue;
    }
    const old = await statOf(path);
    if (old && !old.isFile()) {
      report.problems.push(`${path} exists and is not a regular file`);
      continue;
    }
    if (old && !(item.kind === "certificate" && opts.force)) {
      report.kept.push(item.fileName);
      continue;
    }
    try {
      await writeReplacing(path, item.content, old);
      report.written.push(item.fileName);
      log.debug(`Wrote ${path}`);
    } catch (e) {
      report.problems.push((e as Error).message);
    }
  }
  return report;
}
