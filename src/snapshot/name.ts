/**
 * The snapshot name: what `--name` may be, the rolling name ⇄ its time, and Rancher's cluster
 * prefixes. Names become file names under /backup and /etc/kubernetes (layout.ts). The original
 * lets `--name ../x` write outside /backup (docs/contract.md §o-14.2); we refuse such names up
 * front, and names that would pass for our own temporary files (fs/atomic.ts), which `list` hides
 * and a later save removes. Names legitimately contain ':' and '+' (RFC3339 times, §b-1).
 */
import { ErrorCode, RkeToolsError } from "../errors.ts";
import { TEMP_MARKER } from "../fs/atomic.ts";
import { formatRfc3339, parseRfc3339 } from "../time/rfc3339.ts";

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
            : name.includes(TEMP_MARKER)
              ? `contains '${TEMP_MARKER}', which marks temporary files`
              : undefined;
  if (why) throw new RkeToolsError(ErrorCode.InvalidInput, `invalid snapshot name ${JSON.stringify(name)} given by ${flag}: it ${why}`);
  return name;
}

export function isValidSnapshotName(name: string): boolean {
  try {
    validateSnapshotName(name);
    return true;
  } catch {
    return false;
  }
}

/** `--name`, required and valid; the original's text when it is missing. */
export function requireName(name: string): string {
  if (name === "") throw new RkeToolsError(ErrorCode.InvalidInput, "snapshot name is required");
  return validateSnapshotName(name);
}

/** Rolling mode's name for a tick: `2024-05-01T12:00:00Z_etcd` (docs/contract.md §b-1, §d-8). */
export const rollingName = (tick: Date) => `${formatRfc3339(tick)}_etcd`;

/**
 * The time a rolling snapshot's file or key name carries: its part before the first `_`, strictly
 * RFC3339 (§d-8, §d-19); an Error worded like Go's for anything else.
 */
export const rollingTimeOf = (fileName: string): number | Error => parseRfc3339(fileName.split("_")[0]!);

/**
 * Keys the original's S3 rotation considers (`.+_etcd(|.zip)$`, dot unescaped, §o-12); the tar
 * formats (docs/archive-formats.md) are rolled like the zip.
 */
export const isRollingKey = (key: string) => /.+_etcd(|.zip|\.tar\.gz|\.tar\.zst)$/.test(key);

/**
 * Rancher's cluster prefix, `c-abc12-` or `c-m-abcd1234-`; undefined for names outside its scheme
 * (§b-1). The original took `c-m-` for the second shape (§o-14.5).
 */
export function clusterPrefix(name: string): string | undefined {
  return /^c-(?:m-)?[a-z0-9]+-/.exec(name)?.[0];
}

/** A recurring (`r?`) snapshot file of the cluster with that prefix (§o-6). */
export function isRecurringOf(prefix: string, file: string): boolean {
  return file.startsWith(prefix) && /^r.-/s.test(file.slice(prefix.length));
}
