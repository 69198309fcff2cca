/**
 * The bucket's `list` (`list --s3-backup`): keys `[folder/]<name>.zip|.tar.gz|.tar.zst`, and legacy
 * raw `[folder/]<name>`, told by a ranged GET of their first bytes, with the SHA-256 stored at
 * upload (object metadata). The bucket as a store (stat, fetch, remove, put) is s3.ts.
 */
import { compressionOf } from "../../archive/tar-compression.ts";
import { readTar } from "../../archive/tar-reader.ts";
import { readZipEntriesByRange } from "../../archive/zip-directory.ts";
import type { S3Client } from "../../s3/index.ts";
import { SHA256_META } from "../../s3/sha256.ts";
import { candidateOf, chooseEntry } from "../entries.ts";
import { parseArchiveFileName } from "../layout.ts";
import { formatOfHead, snapshotNameOf } from "../archive.ts";
import { sortRecords, type SnapshotRecord } from "./store.ts";

/** Enough of a tar archive's start to hold its first header(s): ours put the state file first. */
const HEAD_BYTES = 64 * 1024;

export async function listS3(client: S3Client, opts: { signal?: AbortSignal } = {}): Promise<SnapshotRecord[]> {
  const folder = client.config.folder;
  const prefix = folder === "" ? "" : `${folder}/`;
  const records: SnapshotRecord[] = [];
  for await (const obj of client.list(prefix, { signal: opts.signal })) {
    const file = obj.key.slice(prefix.length);
    if (file === "" || file.includes("/")) continue;
    const head = await rangeGet(client, obj.key, HEAD_BYTES, opts.signal);
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
      stateFile: format === "zip" ? await stateInZip(client, obj.key, obj.size, head, name, opts.signal) : await stateInHead(head, name, format),
      sha256: meta?.metadata[SHA256_META] || undefined,
    });
  }
  return sortRecords(records);
}

/**
 * A zip keeps its directory at the end: one ranged GET of the last 64 KiB (zip-directory.ts) tells,
 * ZIP64 included, without fetching the archive. Undefined when it cannot be read.
 */
async function stateInZip(client: S3Client, key: string, size: number, head: Uint8Array, name: string, signal?: AbortSignal): Promise<boolean | undefined> {
  const read = async (start: number, end: number): Promise<Uint8Array> => {
    if (end <= head.byteLength) return head.subarray(start, end); // a small object: its first GET had it all
    const res = await client.request("GET", key, { signal, headers: { Range: `bytes=${start}-${end - 1}` } });
    return new Uint8Array(await res.arrayBuffer());
  };
  try {
    const entries = await readZipEntriesByRange(read, size, { label: key });
    return (
      chooseEntry(
        entries.map((e) => e.name),
        "state",
        name,
        "zip",
      ) !== undefined
    );
  } catch {
    return undefined;
  }
}

/**
 * From the first bytes only, for tar: ours hold the state file first, so its presence shows in the
 * first header (a tar made elsewhere with the state file later shows as absent; verify reads all).
 */
async function stateInHead(head: Uint8Array, name: string, format: SnapshotRecord["format"]): Promise<boolean | undefined> {
  if (format === "raw") return false;
  if (format === "zip") return undefined;
  const seen: string[] = [];
  let sawSnapshot = false;
  try {
    await readTar(
      (async function* () {
        yield head;
      })(),
      { compression: compressionOf(format), label: "head" },
      async (h) => {
        seen.push(h.name);
        sawSnapshot = candidateOf("snapshot", h.name) !== undefined;
        return sawSnapshot ? "stop" : undefined;
      },
    );
  } catch {
    // The head ends inside the archive: decide with the headers it held.
  }
  if (chooseEntry(seen, "state", name, format)) return true;
  return seen.length > 0 ? false : undefined;
}

async function rangeGet(client: S3Client, key: string, bytes: number, signal?: AbortSignal): Promise<Uint8Array> {
  const res = await client.request("GET", key, { signal, headers: { Range: `bytes=0-${bytes - 1}` }, accept: [416] });
  if (res.status === 416) return new Uint8Array(0); // an empty object
  return new Uint8Array(await res.arrayBuffer());
}
