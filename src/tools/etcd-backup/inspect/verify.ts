/**
 * `verify`: one full read of a snapshot archive, and what it proves. Each check is reported, so
 * that an operator sees what was checked, not just a verdict: the format by its magic bytes, the
 * format's own integrity checks read to the end, the snapshot entry, etcd's SHA-256 trailer, the
 * state file (JSON, as RKE parses it), and the SHA-256 stored at upload when there is one.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { MAX_STATE_BYTES } from "../../../archive/limits.ts";
import { ErrorCode, RkeToolsError, messageOf } from "../../../errors.ts";
import { checkBolt, type BoltCheck } from "../../../bbolt/check.ts";
import { DatabaseCopy, databaseChecks } from "./database.ts";
import { parseArchiveFileName } from "../../../snapshot/layout.ts";
import { describeHead, openSnapshotArchive, readStoredHead, type StoredFormat } from "../../../snapshot/archive.ts";
import { stateChecks, summarizeState, type StateSummary } from "./state-file.ts";
import { TrailerCheck } from "../../../snapshot/trailer.ts";
import type { Logger } from "../../../log/logger.ts";
import { Progress, type ProgressPolicy } from "../../../log/progress.ts";
import { statSync } from "node:fs";

/** "warn": worth knowing, not a reason to fail (no state file, no certificates in it). */
export type CheckStatus = "ok" | "fail" | "warn" | "skip";

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
  /** The etcd database: bbolt's structure and what etcdctl snapshot status prints. */
  database?: BoltCheck;
  /** The state file's shape and which certificates it carries (names only). */
  state?: StateSummary;
}

export interface VerifyOptions {
  signal?: AbortSignal;
  /** The archive's SHA-256 recorded elsewhere (S3 object metadata), to compare with. */
  stored?: { sha256: string; from: string };
  /** Progress lines while the archive is read; none when undefined. */
  progress?: { log: Logger; policy: ProgressPolicy };
}

export async function verifySnapshotFile(path: string, name: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const checks: Check[] = [];
  const report: VerifyReport = { target: path, name, checks, ok: false };
  const head = await readStoredHead(path).catch((e: NodeJS.ErrnoException) => {
    throw new RkeToolsError(e.code === "ENOENT" ? ErrorCode.NotFound : ErrorCode.Io, `Cannot verify ${path}: ${e.code === "ENOENT" ? "no such file" : e.message}`, { cause: e });
  });
  const known = describeHead(head);
  const named = parseArchiveFileName(basename(path))?.format;
  if (!known) {
    checks.push({
      check: "format",
      status: "fail",
      detail: `not a zip, gzip, zstd or etcd snapshot file (first bytes ${Buffer.from(head.subarray(0, 4)).toString("hex") || "none: empty file"})`,
    });
    return report;
  }
  const format = known.format;
  report.format = format;
  const note = named && named !== format ? `; the file name says ${named}, readers go by the bytes` : "";
  checks.push({ check: "format", status: "ok", detail: `${format} (${known.magic})${note}` });

  const copies: DatabaseCopy[] = [];
  try {
    await readChecks(path, name, format, report, opts, (c) => copies.push(c));
  } finally {
    for (const c of copies) c.close();
  }
  report.ok = checks.every((c) => c.status !== "fail");
  return report;
}

/** The entries' checks: integrity, snapshot, trailer, database, state file, stored SHA-256. */
async function readChecks(path: string, name: string, format: StoredFormat, report: VerifyReport, opts: VerifyOptions, onCopy: (c: DatabaseCopy) => void): Promise<void> {
  const checks = report.checks;
  const archive = await openSnapshotArchive(path, format);
  const [snapshotEntry, stateEntry] = [archive.entryOf("snapshot", name), archive.entryOf("state", name)]; // no state file in a raw snapshot
  const archiveHash = createHash("sha256");
  // Every entry that may answer for the snapshot or the state file is checked as it streams by;
  // which one does is decided at the end, by the rule every reader follows (snapshot/entries.ts).
  const seen: string[] = [];
  const trailers = new Map<string, { trailer: TrailerCheck; copy?: DatabaseCopy }>();
  const states = new Map<string, { size: number; parts: Buffer[] }>();
  let snapshot: { entry: string; trailer: ReturnType<TrailerCheck["result"]> } | undefined;
  let copy: DatabaseCopy | undefined;
  let state: ReturnType<typeof parseState> | undefined;
  let others: string[] = [];
  const p = opts.progress;
  const progress = p && Progress.start({ log: p.log, msg: "Verifying snapshot", fields: { name, file: basename(path) }, total: statSync(path).size, policy: p.policy });
  try {
    const integrity = await archive
      .walk(
        (entry) => {
          seen.push(entry);
          if (!trailers.has(entry) && snapshotEntry.mayAnswer(entry)) {
            const trailer = new TrailerCheck();
            if (archive.snapshotInPlace) {
              trailers.set(entry, { trailer });
              return trailer; // bbolt reads it by position where it is
            }
            const db = new DatabaseCopy(path);
            onCopy(db);
            trailers.set(entry, { trailer, copy: db });
            return { write: (c) => (trailer.write(c), db.write(c)) };
          }
          if (stateEntry && !states.has(entry) && stateEntry.mayAnswer(entry)) {
            const s = { size: 0, parts: [] as Buffer[] };
            states.set(entry, s);
            return {
              write: (c) => {
                s.size += c.byteLength;
                if (s.size <= MAX_STATE_BYTES) s.parts.push(Buffer.from(c));
              },
            };
          }
          return undefined; // read through all the same: its checks count too
        },
        { signal: opts.signal, onArchiveBytes: (c) => (archiveHash.update(c), progress?.add(c.byteLength)) },
      )
      .finally(() => progress?.stop());
    const s = snapshotEntry.choose(seen);
    const t = stateEntry?.choose(seen);
    const found = s && trailers.get(s.name);
    const parts = t && states.get(t.name);
    snapshot = s && found && { entry: s.name, trailer: found.trailer.result() };
    copy = found?.copy;
    state = t && parts && parseState(t.name, parts.size, parts.parts);
    others = seen.filter((e) => e !== snapshot?.entry && e !== state?.entry);
    checks.push({ check: "integrity", status: "ok", detail: integrity + (others.length ? `; other entries: ${others.join(", ")}` : "") });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    checks.push({ check: "integrity", status: "fail", detail: messageOf(e) });
    return;
  }
  report.archiveSha256 = archiveHash.digest("hex");

  if (!snapshot) {
    checks.push({ check: "snapshot entry", status: "fail", detail: `no entry ${snapshotEntry.wanted}${others.length ? ` (entries: ${others.join(", ")})` : ""}` });
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
    report.database = copy ? await copy.check(`${path}:${snapshot.entry}`, opts.signal) : await checkBolt(path, { signal: opts.signal });
    checks.push(...databaseChecks(report.database, copy?.failure));
  }
  if (stateEntry) {
    if (!state) checks.push({ check: "state file", status: "warn", detail: `no entry ${stateEntry.wanted}: a restore takes the cluster state from elsewhere` });
    else if (!state.json) checks.push({ check: "state file", status: "fail", detail: `${state.entry} is not JSON: ${state.why}` });
    else {
      report.state = summarizeState(state.json);
      checks.push(...stateChecks(state.entry, state.size, report.state));
    }
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
}

function parseState(entry: string, size: number, parts: Buffer[]): { entry: string; size: number; json?: unknown; why?: string } {
  if (size > MAX_STATE_BYTES) return { entry, size, why: `larger than ${MAX_STATE_BYTES} bytes` };
  try {
    return { entry, size, json: JSON.parse(Buffer.concat(parts).toString("utf8")) ?? {} };
  } catch (e) {
    return { entry, size, why: messageOf(e) };
  }
}
