/**
 * A failed system call as an RkeToolsError: the message says what was attempted and libc's text
 * for errno ("Cannot mount /x: Operation not permitted (EPERM)"); `errnoName` lets callers branch
 * without parsing text.
 */
import { constants } from "node:os";
import { ErrorCode, RkeToolsError } from "../errors.ts";
import { strerror } from "./libc.ts";

const NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export function nameOfErrno(n: number): string {
  return NAMES.get(n) ?? `errno ${n}`;
}

export class SysError extends RkeToolsError {
  override readonly name = "SysError";
  constructor(
    code: ErrorCode,
    what: string,
    readonly errno: number,
    hint?: string,
    readonly errnoName: string = nameOfErrno(errno),
  ) {
    super(code, `Cannot ${what}: ${strerror(errno)} (${errnoName})${hint ? `; ${hint}` : ""}`);
  }
}
