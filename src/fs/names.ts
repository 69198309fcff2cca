/**
 * Snapshot names become file names under /backup and /etc/kubernetes. The original lets
 * `--name ../x` write outside /backup (docs/contract.md §o-14.2); we refuse such names up front.
 * Names legitimately contain ':' and '+' (RFC3339 times).
 */
import { ErrorCode, RkeToolsError } from "../errors.ts";

export function validateSnapshotName(name: string, flag = "--name"): string {
  const why =
    name === ""
      ? "is empty"
      : name.includes("\0")
        ? "contains a NUL byte"
        : name.includes("/")
          ? "contains '/'"
          : name === "." || name === ".."
            ? `is '${name}'`
            : undefined;
  if (why) throw new RkeToolsError(ErrorCode.InvalidInput, `invalid snapshot name ${JSON.stringify(name)} given by ${flag}: it ${why}`);
  return name;
}
