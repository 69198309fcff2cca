/**
 * The bucket's `list` (`list --s3-backup`): keys `[folder/]<name>.zip|.tar.gz|.tar.zst`, and legacy
 * raw `[folder/]<name>`, told by a ranged GET of their first bytes, with the SHA-256 stored at
 * upload (object metadata) and whether the state file is inside, as the archive face tells from
 * the object's bytes (s3-bytes.ts). The bucket as a store (stat, fetch, remove, put) is s3.ts.
 */
import type { S3Client } from "../../s3/index.ts";
import { SHA256_META } from "../../s3/sha256.ts";
import { parseArchiveFileName } from "../layout.ts";
import { findEntryIn, formatOfHead, snapshotNameOf, type ArchiveBytes, type StoredFormat } from "../archive.ts";
import { headOf, s3ObjectBytes } from "./s3-bytes.ts";
import { sortRecords, type SnapshotRecord } from "./store.ts";

/** The first GET: the magic bytes, and all of a small archive (a tar's headers, a zip's directory). */
const HEAD_BYTES = 64 * 1024;

export async function listS3(client: S3Client, opts: { signal?: AbortSignal } = {}): Promise<SnapshotRecord[]> {
  const folder = client.config.folder;
  const prefix = folder === "" ? "" : `${folder}/`;
  const records: SnapshotRecord[] = [];
  for await (const obj of client.list(prefix, { signal: opts.signal })) {
    const file = obj.key.slice(prefix.length);
    if (file === "" || file.includes("/")) continue;
    const head = await headOf(client, obj.key, HEAD_BYTES, opts.signal);
    const format = formatOfHead(head) ?? parseArchiveFileName(file)?.format;
    if (!format) continue; // not a snapshot
    const name = snapshotNameOf(file, format);
    const meta = await client.headObject(obj.key, { signal: opts.signal });
    records.push({
      location: "s3",
      name,
      format,
      path: obj.key,
      size: obj.size,
      time: obj.lastModified ?? new Date(0),
      stateFile: await carriesState(s3ObjectBytes(client, obj.key, obj.size, head, opts.signal), format, name, opts.signal),
      sha256: meta?.metadata[SHA256_META] || undefined,
    });
  }
  return sortRecords(records);
}

/**
 * Asks the archive face, reading as little as tells (a zip's directory by range, a tar's headers
 * streamed from its start up to the snapshot's); undefined when the archive cannot be read that far.
 */
async function carriesState(bytes: ArchiveBytes, format: StoredFormat, name: string, signal?: AbortSignal): Promise<boolean | undefined> {
  try {
    return (await findEntryIn(bytes, format, "state", name, { signal })) !== undefined;
  } catch {
    signal?.throwIfAborted();
    return undefined;
  }
}
