/**
 * What a peer's answer must be before its body is written (issue 19.2): a definite end (a
 * Content-Length, or chunked encoding with its closing chunk; a body that only ends when the
 * connection closes cannot be told from a cut one), no content coding (we ask for identity; Bun
 * would inflate anything else, so sizes would not match), and a size the disk and a snapshot can
 * hold. Returns the budget: the exact length, or at most what is free for a chunked body.
 */
import { dirname } from "node:path";
import { freeBytes, MAX_SNAPSHOT_BYTES } from "../../../archive/limits.ts";
import { LENGTH_HEADER } from "../peer-wire.ts";

export interface BodyPlan {
  /** Content-Length, when given. */
  expected?: number;
  /** The body is cut off (as a failure) once the file grows beyond this. */
  limit: number;
}

/** Throws `fail(reason)`: the caller's `backup download failed: …` error. */
export function planBody(headers: Headers, dest: string, fail: (why: string) => Error): BodyPlan {
  const coding = headers.get("content-encoding");
  if (coding !== null && coding.trim().toLowerCase() !== "identity") throw fail(`the server compressed the body (Content-Encoding: ${coding}) though we asked for identity`);
  const chunked = /(^|,)\s*chunked\s*$/i.test(headers.get("transfer-encoding") ?? "");
  const declared = headers.get("content-length") ?? (chunked ? headers.get(LENGTH_HEADER) : null);
  if (declared === null && !chunked) throw fail("the server gave neither a Content-Length nor chunked encoding, so a cut-off body could not be told from a whole one");
  const free = freeBytes(dirname(dest));
  if (declared !== null) {
    if (!/^\d+$/.test(declared.trim())) throw fail(`the server sent a bad Content-Length (${JSON.stringify(declared)})`);
    const expected = Number(declared);
    if (expected > MAX_SNAPSHOT_BYTES) throw fail(`the server announced ${expected} bytes, more than any etcd snapshot (${MAX_SNAPSHOT_BYTES})`);
    if (free !== undefined && expected > free) throw fail(`Cannot write ${dest}: it needs ${expected} bytes and only ${free} are free`);
    return { expected, limit: expected };
  }
  return { limit: Math.min(MAX_SNAPSHOT_BYTES, free ?? MAX_SNAPSHOT_BYTES) };
}
