/** NUL-terminated C strings and NULL-terminated pointer arrays for bun:ffi calls. */
import { ptr, type Pointer } from "bun:ffi";
import { ErrorCode, RkeToolsError } from "../errors.ts";

/** UTF-8 bytes with a trailing NUL. A NUL inside cannot be passed to C: refuse it rather than truncate. */
export function cstring(s: string, what: string): Uint8Array {
  if (s.includes("\0")) throw new RkeToolsError(ErrorCode.InvalidInput, `${what} contains a NUL byte`);
  return new TextEncoder().encode(`${s}\0`);
}

/**
 * `char *const []` for execve: pointers to each string, then NULL. The returned `keep` must stay
 * referenced until the call returns (the pointers point into it).
 */
export function cstringArray(items: readonly string[], what: string): { pointer: Pointer; keep: unknown[] } {
  const bufs = items.map((s, i) => cstring(s, `${what}[${i}]`));
  const table = new BigUint64Array(bufs.length + 1);
  bufs.forEach((b, i) => (table[i] = BigInt(ptr(b))));
  return { pointer: ptr(table), keep: [bufs, table] };
}
