/**
 * Kill -9 at random points of `save --once` and of rolling `save`, against a real etcd (a few MB,
 * so each run is short). After each kill: every final name in /backup and /etc/kubernetes is
 * complete (see invariants.ts), and the next run succeeds and leaves no temporary file.
 * Replay: RKE_TOOLS_FAULT_SEED=<seed printed in the test names> bun test/run.ts test/faults
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTempName } from "../../src/fs/atomic.ts";
import { runTool, spawnTool } from "../support/bin.ts";
import { describeWith } from "../support/components.ts";
import { etcdComponents, startEtcd, type EtcdServer } from "../support/etcd.ts";
import { kubeconfigPathIn, startKubeApi, writeKubeconfig, type KubeApi } from "../support/kube-api.ts";
import { at, killDuring, SEED, suiteRng, Tally, until, type Progress } from "./harness.ts";
import { checkDir, checkTools } from "./invariants.ts";

const ONCE_RUNS = 40;
const ROLLING_RUNS = 20;

function dirs(root: string) {
  const backup = join(root, "backup");
  const kubernetes = join(root, "kubernetes");
  mkdirSync(backup, { recursive: true });
  mkdirSync(kubernetes, { recursive: true });
  const env = {
    PATH: process.env.PATH,
    RKE_TOOLS_BACKUP_DIR: backup,
    RKE_TOOLS_KUBERNETES_DIR: kubernetes,
    RKE_TOOLS_TMP_DIR: join(root, "tmp"),
    RKE_TOOLS_BACKUP_RETRY_INTERVAL: "10ms",
  };
  return { backup, kubernetes, env };
}

const temps = (dir: string) => readdirSync(dir).filter(isTempName);

describeWith([...etcdComponents, ...checkTools], `kill -9 during save (seed ${SEED})`, () => {
  let etcd: EtcdServer;
  let kube: KubeApi;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "rke-faults-save-"));
    etcd = await startEtcd();
    await etcd.fill(3 * 2 ** 20);
    kube = await startKubeApi({ secret: JSON.stringify({ desiredState: { rkeConfig: { nodes: [] } }, currentState: {} }) });
  }, 60_000);
  afterAll(async () => {
    await kube?.stop();
    await etcd?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  describe("save --once", () => {
    const r = suiteRng("save --once");
    const tally = new Tally();
    afterAll(() => process.stderr.write(tally.summary("save --once") + "\n"));
    const plan = Array.from({ length: ONCE_RUNS }, (_, i) => {
      // Run 0 kills right after spawn, so that at least one kill lands whatever the load (see kill-restore).
      const point = i === 0 ? "start" : r.pick(["start", "temp", "temp-data", "final"] as const);
      // Our zip writer writes in large blocks, so the first data comes late: a short delay after it.
      const delayMs = i === 0 ? 0 : point === "start" ? r.int(0, 250) : point === "temp" ? r.int(0, 120) : r.int(0, 5);
      return { i, point, delayMs, withState: r.next() < 0.5 };
    });
    for (const p of plan) {
      test(`run ${p.i}: SIGKILL at ${p.point} + ${p.delayMs} ms${p.withState ? ", with a state file" : ""}`, async () => {
        const d = dirs(join(root, `once-${p.i}`));
        const name = `snap-${p.i}`;
        const writeState = () => p.withState && writeFileSync(join(d.kubernetes, `${name}.rkestate`), JSON.stringify({ run: p.i }));
        writeState();
        const progress: Progress = { start: at.start(), temp: at.temp(d.backup), "temp-data": at.tempBytes(d.backup, 1), final: at.file(join(d.backup, `${name}.zip`)) }[p.point];
        const args = ["etcd-backup", "save", "--once", "--name", name, ...etcd.flags];
        const o = await killDuring("rke-etcd-backup", args, { env: d.env, progress, point: p.point, delayMs: p.delayMs });
        tally.add(o);
        if (!o.killed) expect(o.code).toBe(0); // it finished before the kill: a normal run
        expect(checkDir(d.backup).problems).toEqual([]);
        expect(checkDir(d.kubernetes).problems).toEqual([]);
        // The next run (RKE retries under the same name; the state file may be gone if the killed run archived it).
        if (p.withState && !readdirSync(d.kubernetes).includes(`${name}.rkestate`)) writeState();
        const next = await runTool("rke-etcd-backup", args, { env: d.env });
        expect(next.code).toBe(0);
        const after = checkDir(d.backup);
        expect(after).toEqual({ finals: [`${name}.zip`], temps: [], problems: [] });
        rmSync(join(root, `once-${p.i}`), { recursive: true, force: true });
      }, 30_000);
    }
    // How many kills land before the run ends depends on the machine's load: only "some" is asserted.
    test("every run was checked, and kills landed", () => {
      expect(tally.rows.length).toBe(ONCE_RUNS);
      expect(tally.killed).toBeGreaterThan(0);
    });
  });

  describe("save (rolling)", () => {
    const r = suiteRng("save rolling");
    const tally = new Tally();
    afterAll(() => process.stderr.write(tally.summary("save (rolling)") + "\n"));
    const plan = Array.from({ length: ROLLING_RUNS }, (_, i) => {
      const point = r.pick(["state-temp", "zip-temp", "final", "second-cycle"] as const);
      const delayMs = point === "final" ? r.int(0, 3) : point === "state-temp" ? r.int(0, 20) : point === "zip-temp" ? r.int(0, 150) : r.int(0, 400);
      return { i, point, delayMs };
    });
    const CREATED = 'msg="Created local backup"';
    for (const p of plan) {
      test(`run ${p.i}: SIGKILL at ${p.point} + ${p.delayMs} ms`, async () => {
        const base = join(root, `rolling-${p.i}`);
        const d = dirs(base);
        writeKubeconfig(kubeconfigPathIn(d.kubernetes), kube);
        const args = ["etcd-backup", "save", "--creation", "250ms", "--retention", "1h", "--name", "etcd-rolling-snapshots", ...etcd.flags];
        const requestsBefore = kube.requests.length;
        const zipAppeared = () => readdirSync(d.backup).some((n) => n.endsWith(".zip"));
        const progress: Progress = {
          // The state file is fetched from the kube-apiserver stand-in first (when rolling mode fetches it).
          "state-temp": at.when(() => kube.requests.length > requestsBefore || temps(d.kubernetes).length > 0 || temps(d.backup).length > 0),
          "zip-temp": at.temp(d.backup),
          final: at.when(zipAppeared),
          "second-cycle": at.log(CREATED),
        }[p.point];
        const o = await killDuring("rke-etcd-backup", args, { env: d.env, progress, point: p.point, delayMs: p.delayMs });
        tally.add(o);
        expect(o.killed).toBe(true); // rolling mode never ends on its own
        expect(checkDir(d.backup).problems).toEqual([]);
        expect(checkDir(d.kubernetes).problems).toEqual([]);
        // Rolling mode removes temporaries not modified for an hour (a save --once may be writing a
        // younger one): the next start comes after the leftovers have aged.
        const old = (Date.now() - 2 * 3600_000) / 1000;
        for (const dir of [d.backup, d.kubernetes]) for (const t of temps(dir)) utimesSync(join(dir, t), old, old);
        const next = spawnTool("rke-etcd-backup", args, { env: d.env });
        await until(next, () => next.stderr().includes(CREATED));
        next.proc.kill("SIGTERM");
        expect((await next.done).code).toBe(0);
        const b = checkDir(d.backup);
        expect(b.problems).toEqual([]);
        expect(b.temps).toEqual([]);
        expect(b.finals.length).toBeGreaterThanOrEqual(1);
        const k = checkDir(d.kubernetes);
        expect(k.problems).toEqual([]);
        expect(k.temps).toEqual([]);
        rmSync(base, { recursive: true, force: true });
      }, 30_000);
    }
    test("every run was killed", () => {
      expect(tally.rows.length).toBe(ROLLING_RUNS);
      expect(tally.killed).toBe(ROLLING_RUNS);
    });
  });
});
