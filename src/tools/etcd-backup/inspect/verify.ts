/**
 * `verify`: one full read of a snapshot archive, and what it proves. Each check is reported, so
 * that an operator sees what was checked, not just a verdict: the format by its magic bytes, the
 * format's own integrity checks read to the end, the snapshot entry, etcd's SHA-256 trailer, the
 * state file (JSON, as RKE parses it), and the SHA-256 stored at upload when there is one.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { entryNames, formatFromMagic, parseArchiveFileName, readHead } from "../../../archive/format.ts";
import { sameEntryName } from "../../../archive/tar-reader.ts";
import { ErrorCode, RkeToolsError, messageOf } from "../../../errors.ts";
import { walkEntries, type StoredFormat } from "./entries.ts";
import { TrailerCheck } from "./trailer.ts";

export type CheckStatus = "ok" | "fail" | "skip";

export interface Check {
  check: string;
  status: CheckStatus;
  detail: string;
}

export interface VerifyReport {
  /** The file read (a local path, or the temporary copy of an S3 object). */
  target: string;
  name: string;
  format?: StoredFormat;
  checks: Check[];
  ok: boolean;
  archiveSha256?: string;
  snapshotSha256?: string;
}

export interface VerifyOptions {
  signal?: AbortSignal;
  /** The archive's SHA-256 recorded elsewhere (S3 object metadata), to compare with. */
  stored?: { sha256: string; from: string };
}

/** State files are a few hundred KiB; anything far larger is not one. */
const MAX_STATE_BYTES = 64 * 1024 * 1024;
/** bbolt's meta page magic, 0xED0CDAED little-endian after the 16-byte page header. */
const BOLT_MAGIC = [0xed, 0xda, 0x0c, 0xed];

export function formatOfHead(head: Uint8Array): StoredFormat | undefined {
  const f = formatFromMagic(head);
  if (f) return f;
  return BOLT_MAGIC.every((b, i) => head[16 + i] === b) ? "raw" : undefined;
}

export async function verifySnapshotFile(path: string, name: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const checks: Check[] = [];
  const report: VerifyReport = { target: path, name, checks, ok: false };
  const head = await readHead(path, 20).catch((e: NodeJS.ErrnoException) => {
    throw new RkeToolsError(e.code === "ENOENT" ? ErrorCode.NotFound : ErrorCode.Io, `Cannot verify ${path}: ${e.code === "ENOENT" ? "no such file" : e.message}`, { cause: e });
  });
  const format = formatOfHead(head);
  const named = parseArchiveFileName(basename(path))?.format;
  if (!format) {
    checks.push({ check: "format", status: "fail", detail: `not a zip, gzip, zstd or etcd snapshot file (first bytes ${Buffer.from(head.subarray(0, 4)).toString("hex") || "none: empty file"})` });
    return report;
  }
  report.format = format;
  const magic = format === "raw" ? "bbolt meta magic" : `magic ${Buffer.from(head.subarray(0, format === "tar.gz" ? 2 : 4)).toString("hex")}`;
  const note = named && named !== format ? `; the file name says ${named}, readers go by the bytes` : "";
  checks.push({ check: "format", status: "ok", detail: `${format} (${magic})${note}` });

  const names = entryNames(name, format === "zip" ? "zip" : "tar.zst");
  const archiveHash = createHash("sha256");
  let trailerCheck: TrailerCheck | undefined;
  let snapshotEntry = "";
  let stateEntry: string | undefined;
  const stateParts: Buffer[] = [];
  let stateSize = 0;
  const others: string[] = [];
  try {
    const integrity = await walkEntries(
      path,
      format,
      (entry) => {
        if (format === "raw" || (!trailerCheck && sameEntryName(entry, names.snapshot))) {
          snapshotEntry = format === "raw" ? basename(path) : entry;
          return (trailerCheck = new TrailerCheck());
        }
        if (stateEntry === undefined && sameEntryName(entry, names.state)) {
          stateEntry = entry;
          return {
            write: (c) => {
              stateSize += c.byteLength;
              if (stateSize <= MAX_STATE_BYTES) stateParts.push(Buffer.from(c));
            },
          };
        }
        others.push(entry);
        return undefined; // read through all the same: its checks count too
      },
      { signal: opts.signal, onArchiveBytes: (c) => archiveHash.update(c) },
    );
    checks.push({ check: "integrity", status: "ok", detail: integrity + (others.length ? `; other entries: ${others.join(", ")}` : "") });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    checks.push({ check: "integrity", status: "fail", detail: messageOf(e) });
    return report;
  }
  report.archiveSha256 = archiveHash.digest("hex");
  const snapshot = trailerCheck && { entry: snapshotEntry, trailer: trailerCheck.result() };
  const state = stateEntry === undefined ? undefined : parseState(stateEntry, stateSize, stateParts);

  if (!snapshot) {
    checks.push({ check: "snapshot entry", status: "fail", detail: `no entry ${names.snapshot}${others.length ? ` (entries: ${others.join(", ")})` : ""}` });
  } else {
    checks.push({ check: "snapshot entry", status: "ok", detail: `${snapshot.entry}, ${snapshot.trailer.bytes} bytes` });
    const t = snapshot.trailer;
    report.snapshotSha256 = t.ok ? t.trailer : undefined;
    checks.push(
      t.trailer === ""
        ? { check: "etcd SHA-256 trailer", status: "fail", detail: `the snapshot is too short to hold one (${t.bytes} bytes)` }
        : t.ok
          ? { check: "etcd SHA-256 trailer", status: "ok", detail: `matches: ${t.trailer}` }
          : { check: "etcd SHA-256 trailer", status: "fail", detail: `trailer ${t.trailer}, but the data hashes to ${t.computed}` },
    );
  }
  if (format !== "raw") {
    checks.push(
      !state
        ? { check: "state file", status: "skip", detail: `no entry ${names.state}` }
        : state.json
          ? { check: "state file", status: "ok", detail: `${state.entry}, ${state.size} bytes of JSON` }
          : { check: "state file", status: "fail", detail: `${state.entry} is not JSON: ${state.why}` },
    );
  }
  if (opts.stored) {
    const same = opts.stored.sha256.toLowerCase() === report.archiveSha256;
    checks.push({
      check: "stored SHA-256",
      status: same ? "ok" : "fail",
      detail: same ? `matches ${opts.stored.from}: ${report.archiveSha256}` : `${opts.stored.from} says ${opts.stored.sha256}, the archive hashes to ${report.archiveSha256}`,
    });
  } else {
    checks.push({ check: "stored SHA-256", status: "skip", detail: `none stored; archive SHA-256 ${report.archiveSha256}` });
  }
  report.ok = checks.every((c) => c.status !== "fail");
  return report;
}

function parseState(entry: string, size: number, parts: Buffer[]): { entry: string; size: number; json: boolean; why?: string } {
  if (size > MAX_STATE_BYTES) return { entry, size, json: false, why: `larger than ${MAX_STATE_BYTES} bytes` };
  try {
    JSON.parse(Buffer.concat(parts).toString("utf8"));
    return { entry, size, json: true };
  } catch (e) {
    return { entry, size, json: false, why: messageOf(e) };
  }
}
