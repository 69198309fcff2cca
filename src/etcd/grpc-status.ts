/**
 * gRPC status codes and the error a call ends with (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
 * The message ("14 UNAVAILABLE: details") is the one grpc-js used, so log lines keep their wording.
 */
import { ErrorCode, messageOf, RkeToolsError } from "../errors.ts";

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

/** A call that ended with a non-OK status: a member of the family (code E_ETCD); `status` is gRPC's number. */
export class GrpcError extends RkeToolsError {
  override readonly name = "GrpcError";
  constructor(
    readonly status: number,
    readonly details: string,
    options: { cause?: unknown } = {},
  ) {
    super(ErrorCode.Etcd, `${status} ${NAMES.get(status) ?? "UNKNOWN"}: ${details}`, options);
  }
}

export function isGrpcError(e: unknown): e is GrpcError {
  return e instanceof GrpcError;
}

/** "14 UNAVAILABLE: connect ECONNREFUSED …" → the details, for log lines. */
export function grpcMessage(e: unknown): string {
  if (e instanceof GrpcError) return e.details || e.message;
  return messageOf(e);
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
