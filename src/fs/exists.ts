/** A stat that fails the way Go's does, for commands whose first step the original began with `os.Stat`. */
import { statSync } from "node:fs";
import { ErrorCode, RkeToolsError, messageOf } from "../errors.ts";

/** Throws `stat /backup/N.zip: no such file or directory` (E_NOT_FOUND), else E_IO with the reason. */
export function assertExists(path: string): void {
  try {
    statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file or directory" : messageOf(e);
    throw new RkeToolsError(code === "ENOENT" ? ErrorCode.NotFound : ErrorCode.Io, `stat ${path}: ${why}`, { cause: e });
  }
}
