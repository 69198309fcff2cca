/**
 * Why a body was not received whole, as fields a caller branches on (each download words it in
 * its own contract's terms): no data for too long, more bytes than allowed, or an end at the wrong
 * length.
 */
import { ErrorCode, RkeToolsError } from "../errors.ts";

export type BodyErrorKind = "stall" | "limit" | "length";

export interface BodyErrorFields {
  /** The file's size when it happened. */
  bytes?: number;
  idleMs?: number;
  limit?: number;
  expected?: number;
}

export class BodyError extends RkeToolsError {
  override readonly name = "BodyError";
  constructor(
    readonly kind: BodyErrorKind,
    message: string,
    readonly fields: BodyErrorFields,
  ) {
    super(ErrorCode.Http, message);
  }
}
