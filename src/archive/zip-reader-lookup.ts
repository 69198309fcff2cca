/**
 * Which entry answers for a wanted name. The original looks entries up by exact name only, so a
 * renamed archive (`a.zip` copied to `b.zip`) is useless to it (docs/contract.md §o-5, §o-14.13). We look up
 * the exact name first and then, tolerantly (docs/contract.md §d-14: invisible to RKE):
 * 1. the same name without its leading slash (archives re-packed by other zip tools);
 * 2. the ONLY entry of the same kind: `/backup/<other>` for a snapshot, or
 *    `/etc/kubernetes/<other>.rkestate` for a state file. With two or more candidates nothing is
 *    guessed. A candidate's base name must itself be a valid snapshot name (no '/', not '.' or
 *    '..'), so an entry such as `/backup/../etc/x` is never taken.
 * Entry names never become output paths: the caller names the destination.
 */
import { isValidSnapshotName } from "../snapshot/name.ts";
import type { ZipEntry, ZipReader } from "./zip-reader.ts";

export interface FoundEntry {
  entry: ZipEntry;
  /** False when found by the tolerant rules: callers log which entry stood in. */
  exact: boolean;
}

const KINDS = [
  { wanted: /^\/backup\/[^/]+$/, candidate: /^\/?backup\/([^/]+)$/ },
  { wanted: /^\/etc\/kubernetes\/[^/]+\.rkestate$/, candidate: /^\/?etc\/kubernetes\/([^/]+)\.rkestate$/ },
];

export function findEntry(zip: ZipReader, wanted: string): FoundEntry | undefined {
  const exact = zip.find(wanted);
  if (exact) return { entry: exact, exact: true };
  const relative = wanted.startsWith("/") ? zip.find(wanted.slice(1)) : undefined;
  if (relative) return { entry: relative, exact: false };
  const kind = KINDS.find((k) => k.wanted.test(wanted));
  if (!kind) return undefined;
  const candidates = zip.entries.filter((e) => {
    const m = kind.candidate.exec(e.name);
    return m !== null && isValidSnapshotName(m[1]!);
  });
  return candidates.length === 1 ? { entry: candidates[0]!, exact: false } : undefined;
}
