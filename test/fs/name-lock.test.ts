/** src/fs/name-lock.ts: flock(2) on `.<name>.rke-tmp-lock`, one holder at a time, nothing left behind. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanStaleTemps } from "../../src/fs/atomic.ts";
import { cleanUnheldLocks, lockPathFor, NameLock } from "../../src/fs/name-lock.ts";

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "rke-lock-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("a second holder is refused until the first releases; release removes the file", () => {
  const path = lockPathFor(dir, "snap");
  expect(path).toBe(join(dir, ".snap.rke-tmp-lock"));
  const first = NameLock.tryAcquire(path)!;
  expect(first).toBeDefined();
  expect(NameLock.tryAcquire(path)).toBeUndefined(); // another open file description: flock conflicts in one process too
  first.release();
  first.release(); // twice is harmless
  expect(existsSync(path)).toBe(false);
  const again = NameLock.tryAcquire(path)!;
  expect(again).toBeDefined();
  again.release();
});

test("cleanStaleTemps never removes a lock file; cleanUnheldLocks removes only the unheld ones", async () => {
  const held = NameLock.tryAcquire(lockPathFor(dir, "busy"))!;
  writeFileSync(lockPathFor(dir, "left"), ""); // a killed holder's
  writeFileSync(join(dir, ".snap.zip.rke-tmp-0123456789ab"), "partial");
  expect(await cleanStaleTemps(dir)).toEqual([".snap.zip.rke-tmp-0123456789ab"]);
  expect(await cleanStaleTemps(dir, { of: "busy" })).toEqual([]);
  expect(cleanUnheldLocks(dir)).toEqual([".left.rke-tmp-lock"]);
  expect(readdirSync(dir)).toEqual([".busy.rke-tmp-lock"]);
  held.release();
  expect(readdirSync(dir)).toEqual([]);
});

test("a folder that does not exist: the open fails with ENOENT (the caller names the folder)", () => {
  expect(() => NameLock.tryAcquire(lockPathFor(join(dir, "nope"), "x"))).toThrow(expect.objectContaining({ code: "ENOENT" }));
});
