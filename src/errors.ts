/**
 * The error family. Library code throws these; only src/cli/failure.ts turns them into the exit
 * code and the final log line. Codes are stable strings: tests and callers match on `code`, never
 * on message text. Members with fields of their own live in the library they describe
 * (etcd/grpc-status.ts GrpcError, etcd/health.ts UnhealthyError, s3/s3-error.ts, kube/, sys/, …).
 */
export const ErrorCode = {
  /** Bad command line: unknown flag, bad value, missing argument. Usage is printed. */
  Usage: "E_USAGE",
  /** Input that parses but is not acceptable: a name with '/', an empty CP_HOSTS entry, ... */
  InvalidInput: "E_INVALID_INPUT",
  /** A file that should exist does not, or cannot be read. */
  NotFound: "E_NOT_FOUND",
  /** TLS material that is missing or not what it claims to be. */
  Tls: "E_TLS",
  /** etcd could not be reached, is unhealthy, or sent a bad snapshot. */
  Etcd: "E_ETCD",
  /** An archive is corrupt, truncated, or lacks the entry asked for. */
  Archive: "E_ARCHIVE",
  /** Object storage said no, or could not be reached. */
  S3: "E_S3",
  /** The S3 upload of a snapshot failed: the message carries RKE's phrase (docs/contract.md §d-6). */
  S3Upload: "E_S3_UPLOAD",
  /** A peer or API over HTTP(S) answered badly. */
  Http: "E_HTTP",
  /** The filesystem refused: permissions, disk full, a directory in the way. */
  Io: "E_IO",
  /** A child process (nginx, a component) could not be started or failed. */
  Exec: "E_EXEC",
  /** Another process is doing the same thing now (a save of the same snapshot name). */
  Busy: "E_BUSY",
  /** The operation was aborted (signal, timeout). */
  Aborted: "E_ABORTED",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface RkeToolsErrorOptions {
  cause?: unknown;
  /**
   * The operation the message already names ("save snapshot x" for "Cannot save snapshot x: …"):
   * code that wraps errors checks this to avoid naming it twice, instead of reading the text.
   */
  operation?: string;
}

export class RkeToolsError extends Error {
  override readonly name: string = "RkeToolsError";
  readonly code: ErrorCode;
  readonly operation?: string;

  constructor(code: ErrorCode, message: string, options: RkeToolsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.operation !== undefined) this.operation = options.operation;
  }
}

/** A command-line mistake: the shell prints usage along with the message. */
export class UsageError extends RkeToolsError {
  override readonly name = "UsageError";
  constructor(message: string, options: RkeToolsErrorOptions = {}) {
    super(ErrorCode.Usage, message, options);
  }
}

export function isRkeToolsError(e: unknown, code?: ErrorCode): e is RkeToolsError {
  return e instanceof RkeToolsError && (code === undefined || e.code === code);
}

/** Message of any thrown value, for log lines. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * "Cannot <what>: <why>" — the shape of every top-level failure message. The cause's own
 * message becomes <why> unless one is given.
 */
export function cannot(code: ErrorCode, what: string, cause: unknown, why?: string): RkeToolsError {
  return new RkeToolsError(code, `Cannot ${what}: ${why ?? messageOf(cause)}`, { cause, operation: what });
}

/** Whether `e` already names `operation` (set by cannot() or the `operation` option). */
export function names(e: unknown, operation: string): e is RkeToolsError {
  return e instanceof RkeToolsError && e.operation === operation;
}
