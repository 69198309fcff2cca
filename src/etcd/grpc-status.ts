/**
 * gRPC status codes and the error a call ends with (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
 * The shape (`code`, `details`) is the one grpc-js used, so log lines keep their wording.
 */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const NAMES = new Map<number, string>(Object.entries(GrpcStatus).map(([k, v]) => [v, k]));

export class GrpcError extends Error {
  override readonly name = "GrpcError";
  constructor(
    readonly code: number,
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super(`${code} ${NAMES.get(code) ?? "UNKNOWN"}: ${details}`, options);
  }
}

export function isGrpcError(e: unknown): e is GrpcError {
  return e instanceof GrpcError;
}

/** "14 UNAVAILABLE: connect ECONNREFUSED …" → the details, for log lines. */
export function grpcMessage(e: unknown): string {
  if (e instanceof GrpcError) return e.details || e.message;
  return e instanceof Error ? e.message : String(e);
}

/** `grpc-message` is percent-encoded (gRPC over HTTP/2 spec); a bad escape is kept as sent. */
export function decodeGrpcMessage(raw: string | undefined): string {
  if (!raw) return "";
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
