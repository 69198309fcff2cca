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
import { closeSync, openSync, statSync } from "node:fs";
import { ErrorCode, RkeToolsError, fetchErrorMessage, isRkeToolsError, messageOf } from "../../../errors.ts";
import { basename, dirname } from "node:path";
import { AtomicFile, cleanStaleTemps } from "../../../fs/atomic.ts";
import { silentLogger, type Logger } from "../../../log/logger.ts";
import { Progress, type ProgressPolicy } from "../../../log/progress.ts";
import { abortError } from "../../../retry/policy.ts";
import type { TlsFiles } from "../../../tls/pem.ts";
import { TRAILER_SIZE } from "../inspect/trailer.ts";
import type { Endpoint } from "../../../net/endpoint.ts";
import { planBody, type BodyPlan } from "./peer-body.ts";
import { TrailerFollower } from "./trailer-follow.ts";

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

const TLS_HINTS: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate is not signed by --cacert",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is not signed by --cacert",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is not signed by --cacert",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's certificate is not signed by --cacert",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "the server closed the connection (does it trust our --cert?)",
  EPROTO: "the TLS handshake failed (does the server trust our --cert?)",
};

/** Before the answer: a reset or a protocol error is most likely the TLS handshake refusing us. */
function describeFetchError(e: unknown): string {
  const code = (e as { code?: string }).code;
  const hint = code ? TLS_HINTS[code] : undefined;
  return hint ? `${hint} (${code})` : fetchErrorMessage(e);
}

/** Once data has flowed, TLS is settled: say what happened to the body, nothing about certificates. */
function describeBodyError(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === "ECONNRESET") return "the connection closed before the body ended (ECONNRESET)";
  return fetchErrorMessage(e);
}

export async function peerDownload(name: string, opts: PeerDownloadOptions): Promise<{ url: string; bytes: number }> {
  const log = opts.log ?? silentLogger;
  const url = peerUrl(opts.endpoint, name);
  const stall = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stall.signal]) : stall.signal;
  const stallMs = opts.stallMs ?? 60_000;
  let timer = setTimeout(() => stall.abort(new Error(`no data for ${stallMs / 1000} s`)), stallMs);
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(new Error(`no data for ${stallMs / 1000} s`)), stallMs);
  };
  const fail = (why: string, cause?: unknown) => new RkeToolsError(ErrorCode.Http, `backup download failed: ${why} (GET ${url})`, cause === undefined ? {} : { cause });

  try {
    let res: Response;
    try {
      res = await fetch(url, {
        signal,
        redirect: "error",
        // Bun asks for gzip/br/zstd by default and inflates what comes: lengths would not match.
        headers: { "Accept-Encoding": "identity" },
        tls: { ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key, rejectUnauthorized: true, checkServerIdentity: () => undefined },
      } as RequestInit);
    } catch (e) {
      throw signal.aborted ? abortedBy(signal, opts.signal, fail) : fail(describeFetchError(e), e);
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      const e = fail(`server answered ${res.status} ${res.statusText}`.trim());
      log.error(e.message);
      throw e;
    }
    let plan: BodyPlan;
    try {
      plan = planBody(res.headers, opts.dest, fail);
    } catch (e) {
      await res.body?.cancel().catch(() => {});
      throw e;
    }
    alive();

    await cleanStaleTemps(dirname(opts.dest), { of: basename(opts.dest) }); // left by a killed run
    const file = await AtomicFile.create(opts.dest, { mode: 0o600 });
    const readFd = openSync(file.tempPath, "r");
    const trailer = new TrailerFollower(readFd);
    // Bun.write streams the body into the (already 0600) temporary file natively: measured ~30 MiB
    // less peak RSS than a JS read loop (docs/bench/restore.md). Progress is watched on the file.
    let lastSize = 0;
    const progress = opts.progress && Progress.start({ log, msg: "Downloading snapshot", fields: { name }, total: plan.expected, policy: opts.progress });
    const watch = setInterval(() => {
      const size = fileSize(file.tempPath);
      if (size >= 0) progress?.set(size);
      if (size > plan.limit)
        stall.abort(
          new Error(
            plan.expected === undefined ? `the body outgrew the ${plan.limit} bytes free in ${dirname(opts.dest)}` : `the body outgrew its Content-Length (${plan.expected})`,
          ),
        );
      if (size !== lastSize) {
        lastSize = size;
        alive();
      }
    }, 500);
    try {
      let bytes: number;
      try {
        bytes = await Bun.write(file.tempPath, res);
      } catch (e) {
        if (isRkeToolsError(e)) throw e;
        // Our side of the pipe: name the file, not the transfer (a full disk is not the peer's fault).
        if ((e as NodeJS.ErrnoException).code === "ENOSPC") throw fail(`Cannot write ${opts.dest}: no space left on device`, e);
        throw signal.aborted ? abortedBy(signal, opts.signal, fail) : fail(`transfer broke off after ${fileSize(file.tempPath)} bytes: ${describeBodyError(e)}`, e);
      }
      if (plan.expected !== undefined && bytes !== plan.expected) throw fail(`received ${bytes} of ${plan.expected} bytes`);
      if (bytes > plan.limit) throw fail(`the body outgrew the ${plan.limit} bytes free in ${dirname(opts.dest)}`);
      const check = await trailer.finish();
      if (!check.ok) throw fail(notASnapshot(check.bytes));
      await file.commit(); // fsync (same inode), rename, fsync the folder
      return { url, bytes };
    } catch (e) {
      await trailer.stop();
      await file.abort();
      throw e;
    } finally {
      clearInterval(watch);
      progress?.stop();
      closeSync(readFd);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** What was received fails etcd's own check (inspect/trailer.ts): an error page, a cut, a wrong file. */
function notASnapshot(bytes: number): string {
  if (bytes === 0) return "the body is empty, not an etcd snapshot";
  if (bytes <= TRAILER_SIZE) return `the body is ${bytes} bytes, too short for an etcd snapshot`;
  return `the ${bytes} bytes received are not an etcd snapshot: they do not end with the SHA-256 of the rest (etcd's trailer)`;
}

function abortedBy(signal: AbortSignal, outer: AbortSignal | undefined, fail: (why: string) => RkeToolsError): RkeToolsError {
  if (outer?.aborted) return abortError(outer);
  return fail(messageOf(signal.reason));
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}
