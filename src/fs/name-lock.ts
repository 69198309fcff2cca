/**
 * One writer per snapshot name at a time (issue 19.5): two `save`s of one name used to delete each
 * other's temporary archive. The lock is flock(2) on `<dir>/.<name>.rke-tmp-lock`, taken without
 * waiting: the loser is told at once, before it touches anything. The file carries the temporary
 * marker, so that `list` and the retention passes skip it (cleanStaleTemps leaves it: it may be
 * held); it is removed on release, and cleanUnheldLocks removes those killed holders left.
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { tryLockExclusive } from "../sys/flock.ts";
import { LOCK_SUFFIX } from "./atomic.ts";

export function lockPathFor(dir: string, name: string): string {
  return join(dir, `.${name}${LOCK_SUFFIX}`);
}

export class NameLock {
  private constructor(
    readonly path: string,
    private fd: number | undefined,
  ) {}

  /** The lock, or undefined when another process holds it. Throws for a folder we cannot write. */
  static tryAcquire(path: string): NameLock | undefined {
    for (;;) {
      const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
      let held: boolean;
      try {
        held = tryLockExclusive(fd, path);
      } catch (e) {
        closeSync(fd);
        throw e;
      }
      if (!held) {
        closeSync(fd);
        return undefined;
      }
      // A holder that released meanwhile unlinked the file we opened: lock the one now there.
      const now = statSync(path, { throwIfNoEntry: false });
      const mine = fstatSync(fd);
      if (now && now.ino === mine.ino && now.dev === mine.dev) return new NameLock(path, fd);
      closeSync(fd);
    }
  }

  /** Unlinks the file while still holding it, then lets go. Safe to call twice. */
  release(): void {
    if (this.fd === undefined) return;
    try {
      unlinkSync(this.path);
    } catch {
      // gone already, or the folder turned read-only: the lock still ends with the descriptor
    }
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Removes the lock files in `dir` that no one holds (left by killed holders); returns their names. */
export function cleanUnheldLocks(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    if (!n.startsWith(".") || !n.endsWith(LOCK_SUFFIX)) continue;
    let lock: NameLock | undefined;
    try {
      lock = NameLock.tryAcquire(join(dir, n));
    } catch {
      continue; // not ours to judge (unreadable): left alone
    }
    if (!lock) continue; // held: a save is running
    lock.release();
    removed.push(n);
  }
  return removed;
}
