/**
 * One snapshot into `/backup/<name>.zip` (or the `--archive-format` asked for): etcd's verified
 * stream compressed straight into a temporary file (0600 from the first byte) through the archive
 * face (snapshot/archive.ts), with the state entry when there is one, then fsync and rename. On any failure — etcd, hash, disk — the temporary file is removed and nothing
 * appears under the final name; the raw snapshot never touches the disk.
 */
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import type { Deflater } from "../../../archive/deflate.ts";
import { DEFAULT_ARCHIVE_FORMAT, type ArchiveFormat } from "../../../archive/format.ts";
import { MAX_STATE_BYTES } from "../../../archive/limits.ts";
import { ErrorCode } from "../../../errors.ts";
import { AtomicFile } from "../../../fs/atomic.ts";
import type { ByteSink } from "../../../fs/sink.ts";
import type { SnapshotInfo } from "../../../etcd/snapshot.ts";
import type { Logger } from "../../../log/logger.ts";
import { ArchiveError, createSnapshotArchive } from "../../../snapshot/archive.ts";
import { archivePath, stateFilePath } from "../../../snapshot/layout.ts";

/** The state entry's bytes and mode; `path` is the file they were read from (`save --once` removes it). */
export interface StateFile {
  path?: string;
  data: Uint8Array;
  mode: number;
}

export interface ArchiveResult {
  archiveFile: string;
  archiveSize: number;
  /** Hex SHA-256 of the archive file, computed as it was written when asked (the S3 upload stores it). */
  archiveSha256?: string;
  snapshot: SnapshotInfo;
}

/**
 * The archive's bytes on their way to disk: flushed every 64 MiB, so that the disk works while
 * etcd streams instead of all at commit (a 340 MB zip took ~0.6 s to fsync at the end here), and
 * hashed when asked, so that the upload need not read the file again.
 */
function archiveSink(file: AtomicFile, hashing: boolean): ByteSink & { digest(): string | undefined } {
  const hash = hashing ? createHash("sha256") : undefined;
  return {
    async write(chunk) {
      hash?.update(chunk); // before the write: the writer may reuse the chunk once it resolves
      await file.write(chunk);
      file.syncAsItGrows();
    },
    digest: () => hash?.digest("hex"),
  };
}

/** Refuses early what would fail only after a whole snapshot: a directory where the archive goes. */
export async function checkTarget(backupDir: string, name: string, format: ArchiveFormat = DEFAULT_ARCHIVE_FORMAT): Promise<string> {
  const archiveFile = archivePath(backupDir, name, format);
  const st = await fsp.stat(backupDir).catch((e: NodeJS.ErrnoException) => {
    throw new ArchiveError(ErrorCode.Io, `backup folder ${backupDir} ${e.code === "ENOENT" ? "does not exist" : e.message}`, { cause: e });
  });
  if (!st.isDirectory()) throw new ArchiveError(ErrorCode.Io, `backup folder ${backupDir} is not a directory`);
  const target = await fsp.lstat(archiveFile).catch(() => undefined);
  if (target?.isDirectory()) throw new ArchiveError(ErrorCode.Io, `${archiveFile} is a directory`);
  return archiveFile;
}

/**
 * Removes a raw `/backup/<name>` left beside the new archive (by a restore's download or serve),
 * as the original does (docs/contract.md §o-6): RKE's checksum check after a restore reads the raw file by
 * that name, and a stale one is another snapshot. A directory there is left, with a warning.
 */
export async function removeStaleRaw(backupDir: string, name: string, log: Logger): Promise<void> {
  const raw = join(backupDir, name);
  const st = await fsp.lstat(raw).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) {
    log.warn("Stale raw snapshot not removed", { error: `${raw} is a directory`, name });
    return;
  }
  await fsp.rm(raw, { force: true }).then(
    () => log.debug("Removed stale raw snapshot", { name, path: raw }),
    (e) => log.warn("Stale raw snapshot not removed", { error: (e as Error).message, name }),
  );
}

/** Every reader refuses a state entry over MAX_STATE_BYTES: input, not a passing fault, so never retried. */
function stateTooBig(what: string, size: string): ArchiveError {
  return new ArchiveError(ErrorCode.InvalidInput, `${what}: it holds ${size} bytes; a restore reads at most ${MAX_STATE_BYTES} (64 MiB)`);
}

/** The cluster state rolling mode fetched, as the archive's state entry (0600), refused over MAX_STATE_BYTES. */
export function fetchedState(data: Uint8Array): StateFile {
  if (data.byteLength > MAX_STATE_BYTES) throw stateTooBig("Cannot archive the cluster state", String(data.byteLength));
  return { data, mode: 0o600 };
}

/**
 * The state file RKE left for this snapshot, if any (`/etc/kubernetes/<name>.rkestate`). One over
 * MAX_STATE_BYTES is refused here, before the snapshot, by its size and by counting as it is read
 * (it may grow meanwhile): never read whole.
 */
export async function readStateFile(kubernetesDir: string, name: string): Promise<StateFile | undefined> {
  const path = stateFilePath(kubernetesDir, name);
  const what = `Cannot read state file ${path}`;
  const cannot = (why: string, cause?: unknown) => new ArchiveError(ErrorCode.Io, `${what}: ${why}`, cause === undefined ? {} : { cause });
  const st = await fsp.stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw cannot(e.message, e);
  });
  if (!st) return undefined;
  if (!st.isFile()) throw cannot(`it is ${st.isDirectory() ? "a directory" : "not a regular file"}`);
  if (st.size > MAX_STATE_BYTES) throw stateTooBig(what, String(st.size));
  const fh = await fsp.open(path, "r").catch((e: NodeJS.ErrnoException) => {
    throw cannot(e.code === "EACCES" ? "permission denied" : e.message, e);
  });
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, MAX_STATE_BYTES + 1 - total));
      const { bytesRead } = await fh.read(buf, 0, buf.byteLength, null).catch((e: NodeJS.ErrnoException) => {
        throw cannot(e.message, e);
      });
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > MAX_STATE_BYTES) throw stateTooBig(what, `more than ${MAX_STATE_BYTES}`);
      chunks.push(buf.subarray(0, bytesRead));
    }
    return { path, data: Buffer.concat(chunks, total), mode: st.mode & 0o7777 };
  } finally {
    await fh.close();
  }
}

export interface WriteArchiveOptions {
  deflater?: Deflater;
  /** Compute the archive's SHA-256 while writing it (ArchiveResult.archiveSha256). */
  hashArchive?: boolean;
  signal?: AbortSignal;
}

/**
 * Streams `snapshot` (etcd's bytes, verified by the producer, which throws at the end on a bad
 * trailer) into `archiveFile`. `info` is filled in by the producer.
 */
export async function writeArchive(
  archiveFile: string,
  input: { name: string; snapshot: AsyncIterable<Uint8Array>; info: Partial<SnapshotInfo>; state?: StateFile; format?: ArchiveFormat },
  opts: WriteArchiveOptions = {},
): Promise<ArchiveResult> {
  const file = await AtomicFile.create(archiveFile); // its errors name archiveFile, not the temporary file
  try {
    const sink = archiveSink(file, opts.hashArchive ?? false);
    // tar needs the snapshot's size up front: etcd announces it with its first message.
    const snapshotSize = () => input.info.expectedBytes;
    const archive = { name: input.name, snapshot: input.snapshot, snapshotSize, state: input.state };
    const archiveSize = await createSnapshotArchive(sink, input.format ?? DEFAULT_ARCHIVE_FORMAT, archive, { deflater: opts.deflater, signal: opts.signal });
    opts.signal?.throwIfAborted();
    await file.commit();
    return { archiveFile, archiveSize, archiveSha256: sink.digest(), snapshot: input.info as SnapshotInfo };
  } catch (e) {
    await file.abort();
    throw e;
  }
}
