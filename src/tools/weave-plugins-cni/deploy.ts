/**
 * Moves the CNI plugins shipped in the image (/tmp/loopback, /tmp/portmap) into the host's
 * /opt/cni/bin, as the original `mv` did — including across filesystems (the image's /tmp and the
 * host's /opt are always different ones): then the file is copied under a temporary name beside
 * its destination, synced, renamed, and only then is the source removed.
 */
import { constants, promises as fsp } from "node:fs";
import { join } from "node:path";
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { AtomicFile } from "../../fs/atomic.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";

export interface Plugin {
  name: string;
  /** Mode set after the move (the original: `chmod 755` portmap only). */
  mode?: number;
}

export const PLUGINS: readonly Plugin[] = [{ name: "loopback" }, { name: "portmap", mode: 0o755 }];

export type Outcome = "moved" | "already in place";

async function exists(path: string): Promise<boolean> {
  return fsp.access(path, constants.F_OK).then(
    () => true,
    () => false,
  );
}

async function copyAcross(src: string, dst: string): Promise<void> {
  const st = await fsp.stat(src);
  const f = await AtomicFile.create(dst, { mode: st.mode & 0o7777 });
  try {
    const fh = await fsp.open(src, "r");
    try {
      const buf = new Uint8Array(1 << 20);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.byteLength, null);
        if (bytesRead === 0) break;
        await f.write(buf.subarray(0, bytesRead));
      }
    } finally {
      await fh.close();
    }
    await f.commit();
  } finally {
    await f.abort();
  }
  await fsp.unlink(src);
}

/** Moves one file; a missing source with the destination present is a repeat run, not an error. */
export async function movePlugin(fromDir: string, toDir: string, plugin: Plugin, log: Logger = silentLogger): Promise<Outcome> {
  const src = join(fromDir, plugin.name);
  const dst = join(toDir, plugin.name);
  let outcome: Outcome = "moved";
  if (await exists(src)) {
    try {
      await fsp.rename(src, dst);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EXDEV") throw new RkeToolsError(ErrorCode.Io, `Cannot move ${src} to ${dst}: ${(e as Error).message}`, { cause: e });
      await copyAcross(src, dst);
    }
  } else if (await exists(dst)) {
    outcome = "already in place";
  } else {
    throw new RkeToolsError(ErrorCode.NotFound, `Cannot deploy the ${plugin.name} CNI plugin: neither ${src} nor ${dst} exists`);
  }
  if (plugin.mode !== undefined) await fsp.chmod(dst, plugin.mode);
  log.info(`CNI plugin ${plugin.name} ${outcome}`, { path: dst });
  return outcome;
}

export async function deployPlugins(fromDir: string, toDir: string, opts: { log?: Logger } = {}): Promise<Outcome[]> {
  try {
    await fsp.mkdir(toDir, { recursive: true });
  } catch (e) {
    throw new RkeToolsError(ErrorCode.Io, `Cannot create ${toDir}: ${(e as Error).message}`, { cause: e });
  }
  const out: Outcome[] = [];
  for (const p of PLUGINS) out.push(await movePlugin(fromDir, toDir, p, opts.log));
  return out;
}
