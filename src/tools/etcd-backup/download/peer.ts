/**
 * download --local-endpoint (docs/contract.md §o-9, §d-16): GET `https://<endpoint>:2379/<name>` with the
 * node's client certificate. Unlike the original (InsecureSkipVerify), the server's chain IS
 * verified against --cacert; only the name check is off, because RKE's node certificates carry no
 * IP SANs (`checkServerIdentity: () => undefined` keeps the chain check: docs/contract.md §bun-4).
 * The answer must have a definite end and no content coding, and fit the disk (peer-body.ts). The
 * body goes to a temporary file (0600), is fsynced, checked against Content-Length and against
 * etcd's SHA-256 trailer (read back behind the writer), and renamed to `/backup/<name>`: a failed,
 * cut or foreign body (an error page, 0 bytes) leaves nothing under the final name, and a rerun
 * (RKE restarts the container until it succeeds) starts clean.
 */
import { basename, dirname } from "node:path";
import { ErrorCode, RkeToolsError, isRkeToolsError } from "../../../errors.ts";
import { AtomicFile, cleanStaleTemps } from "../../../fs/atomic.ts";
import { FileFollower } from "../../../fs/follow.ts";
import { silentLogger, type Logger } from "../../../log/logger.ts";
import { Progress, type ProgressPolicy } from "../../../log/progress.ts";
import { BodyError } from "../../../net/body-error.ts";
import { bodyToFile } from "../../../net/body-to-file.ts";
import { fetchFailure, type FetchFailureKind } from "../../../net/fetch-error.ts";
import { StallWatch, stallPolicy } from "../../../net/stall.ts";
import type { TlsFiles } from "../../../tls/pem.ts";
import { TRAILER_SIZE, TrailerCheck } from "../../../snapshot/trailer.ts";
import type { Endpoint } from "../../../net/endpoint.ts";
import { planBody, type BodyPlan } from "./peer-body.ts";

export interface PeerDownloadOptions {
  endpoint: Endpoint;
  tls: TlsFiles;
  /** Final path, `/backup/<name>`. */
  dest: string;
  signal?: AbortSignal;
  log?: Logger;
  /** Gives up when no byte arrives for this long (ms). Default 60 s. */
  stallMs?: number;
  /** Progress lines while the body streams in; none when undefined. */
  progress?: ProgressPolicy;
}

/** `https://host:port/<name>`, with the name escaped only where a path needs it (':' and '+' stay). */
export function peerUrl(endpoint: Endpoint, name: string): string {
  return `https://${endpoint.target}/${encodeURI(name).replace(/[?#]/g, encodeURIComponent)}`;
}

/** Before the answer: a reset or a protocol error is most likely the TLS handshake refusing us. */
const HINTS: Partial<Record<FetchFailureKind, string>> = {
  untrusted: "the server's certificate is not signed by --cacert",
  expired: "the server's certificate has expired",
  refused: "connection refused",
  reset: "the server closed the connection (does it trust our --cert?)",
  handshake: "the TLS handshake failed (does the server trust our --cert?)",
};

function describeFetchError(e: unknown): string {
  const f = fetchFailure(e);
  const hint = HINTS[f.kind];
  return hint ? `${hint} (${f.code})` : f.message;
}

/** Once data has flowed, TLS is settled: say what happened to the body, nothing about certificates. */
function describeBodyError(e: unknown): string {
  const f = fetchFailure(e);
  return f.kind === "reset" ? `the connection closed before the body ended (${f.code})` : f.message;
}

export async function peerDownload(name: string, opts: PeerDownloadOptions): Promise<{ url: string; bytes: number }> {
  const log = opts.log ?? silentLogger;
  const url = peerUrl(opts.endpoint, name);
  const fail = (why: string, cause?: unknown) => new RkeToolsError(ErrorCode.Http, `backup download failed: ${why} (GET ${url})`, cause === undefined ? {} : { cause });
  // Counts from before the request: a peer that never answers is a stall too.
  const watch = new StallWatch(stallPolicy({ idleMs: opts.stallMs }), opts.signal);
  let plan: BodyPlan | undefined;
  /** An abort as it is; a stall, an overgrown or a short body in our words; else undefined. */
  const ours = (e: unknown): RkeToolsError | undefined => {
    if (isRkeToolsError(e, ErrorCode.Aborted)) return e;
    if (e instanceof BodyError) return fail(bodyFailure(e, plan, opts.dest), e);
    return undefined;
  };
  try {
    let res: Response;
    try {
      res = await fetch(url, {
        signal: watch.signal,
        redirect: "error",
        // Bun asks for gzip/br/zstd by default and inflates what comes: lengths would not match.
        headers: { "Accept-Encoding": "identity" },
        tls: { ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key, rejectUnauthorized: true, checkServerIdentity: () => undefined },
      } as RequestInit);
    } catch (e) {
      throw ours(watch.failure()) ?? fail(describeFetchError(e), e);
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      const e = fail(`server answered ${res.status} ${res.statusText}`.trim());
      log.error(e.message);
      throw e;
    }
    try {
      plan = planBody(res.headers, opts.dest, fail);
    } catch (e) {
      await res.body?.cancel().catch(() => {});
      throw e;
    }
    watch.touch();

    await cleanStaleTemps(dirname(opts.dest), { of: basename(opts.dest) }); // left by a killed run
    const file = await AtomicFile.create(opts.dest, { mode: 0o600 });
    // etcd's trailer checked on what lands, read back 1 MiB at a time behind the writer (fs/follow.ts).
    const check = new TrailerCheck();
    const trailer = new FileFollower(file.tempPath, check);
    const progress = opts.progress && Progress.start({ log, msg: "Downloading snapshot", fields: { name }, total: plan.expected, policy: opts.progress });
    try {
      let bytes: number;
      try {
        // Native writer, early syncs, the size bound, progress (net/body-to-file.ts).
        bytes = await bodyToFile(res, file, { watch, limit: plan.limit, expected: plan.expected, onGrowth: (size) => progress?.set(size) });
      } catch (e) {
        const known = ours(e);
        if (known) throw known;
        // Our side of the pipe names the file, not the transfer (a full disk is not the peer's fault).
        if (isRkeToolsError(e, ErrorCode.Io)) throw fail(e.message, e);
        throw fail(`transfer broke off after ${file.written} bytes: ${describeBodyError(e)}`, e);
      }
      await trailer.finish();
      const verdict = check.result();
      if (!verdict.ok) throw fail(notASnapshot(verdict.bytes));
      await file.commit(); // fsync (same inode), rename, fsync the folder
      return { url, bytes };
    } catch (e) {
      await trailer.stop();
      await file.abort();
      throw e;
    } finally {
      progress?.stop();
    }
  } finally {
    watch.stop();
  }
}

/** A stall, an overgrown or a short body, in the download's words. */
function bodyFailure(e: BodyError, plan: BodyPlan | undefined, dest: string): string {
  if (e.kind !== "limit") return e.message; // "no data for 60 s", "received 500 of 1000 bytes"
  if (plan?.expected !== undefined) return `the body outgrew its Content-Length (${plan.expected})`;
  return `the body outgrew the ${e.fields.limit} bytes free in ${dirname(dest)}`;
}

/** What was received fails etcd's own check (src/snapshot/trailer.ts): an error page, a cut, a wrong file. */
function notASnapshot(bytes: number): string {
  if (bytes === 0) return "the body is empty, not an etcd snapshot";
  if (bytes <= TRAILER_SIZE) return `the body is ${bytes} bytes, too short for an etcd snapshot`;
  return `the ${bytes} bytes received are not an etcd snapshot: they do not end with the SHA-256 of the rest (etcd's trailer)`;
}
