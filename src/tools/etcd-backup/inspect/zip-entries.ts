/** Zip archives for list/verify, through the restore path's zip reader (src/archive/zip-reader*). */
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import type { EntryVisitor, WalkOptions } from "./entries.ts";

export async function readZipEntries(path: string, _visit: EntryVisitor, _opts: WalkOptions): Promise<string> {
  throw new RkeToolsError(ErrorCode.NotImplemented, `Cannot read archive ${path}: zip archives need the zip reader of issue 4, not on this branch yet`);
}
