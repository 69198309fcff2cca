/**
 * Kill -9 while `verify` copies a compressed archive's database to check it: the copy is unlinked
 * from the moment it is created, so after any kill the backup folder holds exactly what it held
 * before, and the next verify runs to the end.
 * Replay: RKE_TOOLS_FAULT_SEED=<seed printed in the test names> bun test/run.ts test/faults
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTool } from "../support/bin.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { snapshotBytes, stateJson, writeZip } from "./fixtures.ts";
import { at, killDuring, SEED, suiteRng, Tally, unlinkedFiles, type Progress } from "./harness.ts";

const RUNS = 10;
const SNAP_BYTES = 48 << 20;
const name = "c-abc12-rs-x_2026-11-21T04:51:14Z";

describeWith([hasCommand("python3", "apt-get install python3")], `kill -9 during verify (seed ${SEED})`, () => {
  let root: string;
  let zip: string;
  const r = suiteRng("verify");
  const tally = new Tally();
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "rke-faults-verify-"));
    zip = join(root, `${name}.zip`);
    writeZip(zip, [
      [`/backup/${name}`, snapshotBytes(SNAP_BYTES)],
      [`/etc/kubernetes/${name}.rkestate`, stateJson(64 << 10)],
    ]);
  }, 60_000);
  afterAll(() => {
    process.stderr.write(tally.summary("verify's database copy") + "\n");
    rmSync(root, { recursive: true, force: true });
  });

  const plan = Array.from({ length: RUNS }, (_, i) => {
    const point = i === 0 ? "copy" : r.pick(["start", "copy", "copy-half"] as const);
    return { i, point, delayMs: point === "start" ? r.int(0, 150) : r.int(0, 3) };
  });
  for (const p of plan) {
    test(`run ${p.i}: SIGKILL at ${p.point} + ${p.delayMs} ms`, async () => {
      const backup = join(root, `run-${p.i}`, "backup");
      mkdirSync(backup, { recursive: true });
      linkSync(zip, join(backup, `${name}.zip`));
      const env = { PATH: process.env.PATH, RKE_TOOLS_BACKUP_DIR: backup };
      const progress: Progress = { start: at.start(), copy: at.unlinkedIn(backup), "copy-half": at.unlinkedIn(backup, SNAP_BYTES / 2) }[p.point];
      const o = await killDuring("rke-etcd-backup", ["etcd-backup", "verify", "--name", name], { env, progress, point: p.point, delayMs: p.delayMs });
      tally.add(o);
      expect(readdirSync(backup)).toEqual([`${name}.zip`]);
      // The next run reads to the end (the payload is not a bbolt file: the database check fails, cleanly).
      const next = await runTool("rke-etcd-backup", ["etcd-backup", "verify", "--name", name], { env });
      expect(next.stdout).toMatch(/ok +etcd SHA-256 trailer/);
      expect(next.stdout).toMatch(/FAIL +etcd database +meta page 0 \(offset 0\): magic/);
      expect(readdirSync(backup)).toEqual([`${name}.zip`]);
      rmSync(join(root, `run-${p.i}`), { recursive: true, force: true });
    }, 60_000);
  }
  test("the copy was there to be killed in most runs", () => {
    expect(tally.killed).toBeGreaterThanOrEqual(RUNS / 2);
    expect(unlinkedFiles(process.pid, root)).toEqual([]);
  });
});
