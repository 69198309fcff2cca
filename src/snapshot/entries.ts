/**
 * Which entry of an archive answers for a snapshot's snapshot or state file: one rule for every
 * reader (serve, download, extractstatefile, verify, list, convert), zip and tar alike. The original looks
 * entries up by exact name only, so a renamed archive (`a.zip` copied to `b.zip`) is useless to it
 * (docs/contract.md §o-5, §o-14.13). We take, in order (§d-14: invisible to RKE):
 * 1. the exact name of the layout (layout.ts);
 * 2. the same name without a leading `/` or `./` (archives re-packed by other tools);
 * 3. the ONLY entry of the same kind: `[/]backup/<other>` for a snapshot, or
 *    `[/]etc/kubernetes/<other>.rkestate` for a state file. With two or more candidates nothing is
 *    guessed. A candidate's base name must itself be a valid snapshot name (name.ts), so an entry
 *    such as `/backup/../etc/x` is never taken.
 * Entry names never become output paths: the caller names the destination.
 */
import type { ArchiveFormat } from "../archive/format.ts";
import { sameEntryName } from "../archive/limits.ts";
import { entryNames } from "./layout.ts";
import { isValidSnapshotName } from "./name.ts";

export type EntryKind = "snapshot" | "state";

export interface ChosenEntry {
  name: string;
  /** False when found by rule 2 or 3: readers log which entry stood in. */
  exact: boolean;
}

/** What a reader is given: the wanted name (for its messages) and the rule. */
export interface EntryChoice {
  wanted: string;
  choose(names: readonly string[]): ChosenEntry | undefined;
  /** Whether `choose` may pick `entry`: the wanted name or a candidate (rule 1 or 3); a reader that streams keeps each such entry until it knows. */
  mayAnswer(entry: string): boolean;
  /** Whether `entry` is the wanted name, with or without a leading `/` or `./` (rule 1 or 2). */
  isWanted(entry: string): boolean;
}

const CANDIDATE: Record<EntryKind, RegExp> = {
  snapshot: /^(?:\.?\/)*backup\/([^/]+)$/,
  state: /^(?:\.?\/)*etc\/kubernetes\/([^/]+)\.rkestate$/,
};

/** The base name when `entry` is of `kind` with a valid snapshot name, else undefined. */
export function candidateOf(kind: EntryKind, entry: string): string | undefined {
  const base = CANDIDATE[kind].exec(entry)?.[1];
  return base !== undefined && isValidSnapshotName(base) ? base : undefined;
}

export function chooseEntry(names: readonly string[], kind: EntryKind, name: string, format: ArchiveFormat): ChosenEntry | undefined {
  const wanted = entryNames(name, format)[kind];
  if (names.includes(wanted)) return { name: wanted, exact: true };
  const same = names.find((n) => sameEntryName(n, wanted));
  if (same !== undefined) return { name: same, exact: false };
  const candidates = names.filter((n) => candidateOf(kind, n) !== undefined);
  return candidates.length === 1 ? { name: candidates[0]!, exact: false } : undefined;
}

export function entryChoice(kind: EntryKind, name: string, format: ArchiveFormat): EntryChoice {
  const wanted = entryNames(name, format)[kind];
  return {
    wanted,
    choose: (names) => chooseEntry(names, kind, name, format),
    mayAnswer: (entry) => entry === wanted || candidateOf(kind, entry) !== undefined,
    isWanted: (entry) => sameEntryName(entry, wanted),
  };
}

/** The warning a reader logs when an entry stands in for the wanted one (rule 2 or 3). */
export function standInWarning(wanted: string, archivePath: string, chosen: string): string {
  return `Entry [${wanted}] not found in [${archivePath}]: using its only candidate [${chosen}]`;
}
