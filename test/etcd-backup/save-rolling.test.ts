/** Rolling mode against a real etcd: schedule, names, retention by name, stale temporaries, SIGTERM. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, utimesSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toolPath } from "../support/bin.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { etcdComponents, freePort, startEtcd, type EtcdServer } from "../support/etcd.ts";
import { list, makeDirs, pyZip, type Dirs } from "./save-helpers.ts";
import { kubeconfigPathIn, startKubeApi, writeKubeconfig, type KubeApi } from "../support/kube-api.ts";
import { STATE_JSON, STATE_PRETTY } from "../kube/fixtures.ts";
import { spawnSync } from "node:child_process";

export interface Running {
  stderr(): string;
  waitFor(pred: (stderr: string) => boolean, what: string, ms?: number): Promise<void>;
  stop(): Promise<number>;
}

/** Starts `save` in rolling mode; stderr is collected as it comes. */
export function startRolling(args: string[], env: Record<string, string | undefined>): Running {
  const proc = Bun.spawn([toolPath("rke-etcd-backup"), "etcd-backup", "save", ...args], { env, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  let text = "";
  const reader = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) text += dec.decode(chunk, { stream: true });
  })();
  return {
    stderr: () => text,
    async waitFor(pred, what, ms = 60_000) {
      const deadline = Date.now() + ms;
      while (!pred(text)) {
        if (proc.exitCode !== null) throw new Error(`rolling save exited ${proc.exitCode} before ${what}:\n${text}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${text}`);
        await Bun.sleep(25);
      }
    },
    async stop() {
      proc.kill("SIGTERM");
      const code = await proc.exited;
      await reader;
      return code;
    },
  };
}

/**
 * The names inotify reports in `dir` (not below it) until stop(), which then creates a marker file
 * and waits for its event: every earlier event has been delivered by then, with no clock involved.
 */
function watchNames(dir: string): { stop(): Promise<string[]> } {
  const names: string[] = [];
  let marked: () => void;
  const marker = new Promise<void>((resolve) => (marked = resolve));
  const watcher = watch(dir, (_event, file) => {
    if (file === ".watch-marker") marked();
    else if (file) names.push(String(file));
  });
  return {
    async stop() {
      writeFileSync(join(dir, ".watch-marker"), "");
      await marker;
      watcher.close();
      rmSync(join(dir, ".watch-marker"));
      return [...new Set(names)];
    },
  };
}

const count = (s: string, needle: string) => s.split(needle).length - 1;
const NAME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)_etcd\.zip$/;

describeWith([...etcdComponents, hasCommand("python3", "apt-get install python3")], "save (rolling)", () => {
  let etcd: EtcdServer;
  let d: Dirs;
  beforeAll(async () => {
    etcd = await startEtcd();
    await etcd.fill(2 * 2 ** 20);
  }, 60_000);
  afterAll(async () => etcd?.stop());
  beforeEach(() => (d = makeDirs({ RKE_TOOLS_BACKUP_RETRY_INTERVAL: "10ms" })));
  afterEach(() => d.cleanup());

  test("one snapshot per period from one period after start, RFC3339 names, retention by name, clean SIGTERM", async () => {
    const old = (Date.now() - 2 * 3600_000) / 1000;
    for (const f of [
      "2000-01-01T00:00:00Z_etcd.zip",
      "2000-01-01T00:00:00Z_etcd",
      "2000-01-01T05:30:00+05:30_etcd.part",
      "notabackup.zip",
      "2999-01-01T00:00:00Z_etcd.zip",
      "c-abc12-rl-x_2000-01-01T00:00:00Z.zip",
    ]) {
      writeFileSync(join(d.backup, f), "x");
    }
    mkdirSync(join(d.backup, "adir"));
    writeFileSync(join(d.backup, ".killed.zip.rke-tmp-0123456789ab"), "partial");
    utimesSync(join(d.backup, ".killed.zip.rke-tmp-0123456789ab"), old, old);
    writeFileSync(join(d.backup, ".other.zip.rke-tmp-ba9876543210"), "being written by another save");
    const started = Date.now();
    const run = startRolling(["--creation", "1s", "--retention", "1h", "--name", "etcd-rolling-snapshots", ...etcd.flags], d.env);
    await run.waitFor((s) => count(s, 'msg="Created local backup"') >= 2, "two backups");
    expect(await run.stop()).toBe(0);
    const err = run.stderr();
    expect(err.split("\n")[0]).toMatch(/level=info msg="Initializing Rolling Backups" creation=1s retention=1h0m0s$/);
    const zips = list(d.backup).filter((f) => NAME.test(f) && !f.startsWith("2999"));
    expect(zips.length).toBeGreaterThanOrEqual(2);
    // The first tick is one period after start: no name before start + 1 s (names have whole seconds).
    const first = Date.parse(NAME.exec(zips[0]!)![1]!);
    expect(first).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000 + 1000);
    expect(err).toContain(`msg="Created local backup" name="${zips[0]!.replace(/\.zip$/, "")}" runtime=`);
    for (const z of zips) expect(pyZip(join(d.backup, z)).map((e) => e.name)).toEqual([`/backup/${z.replace(/\.zip$/, "")}`]);
    // Retention by the time in the name: old ones (any zone, raw, .part) gone; others kept with warnings.
    for (const gone of ["2000-01-01T00:00:00Z_etcd.zip", "2000-01-01T00:00:00Z_etcd", "2000-01-01T05:30:00+05:30_etcd.part"]) {
      expect(list(d.backup)).not.toContain(gone);
      expect(err).toContain(`msg="Deleted local backup" name="${gone}" runtime=`);
    }
    for (const kept of ["notabackup.zip", "2999-01-01T00:00:00Z_etcd.zip", "c-abc12-rl-x_2000-01-01T00:00:00Z.zip", "adir", ".other.zip.rke-tmp-ba9876543210"]) {
      expect(list(d.backup)).toContain(kept);
    }
    expect(err).toContain('level=warning msg="Ignored directory, expecting file" name=adir');
    expect(err).toMatch(/level=warning msg="Couldn't parse backup" error="parsing time \\"notabackup\.zip\\" as \\"2006-01-02T15:04:05Z07:00\\": .*" name=notabackup\.zip/);
    // A killed run's temporary file is removed; no state file is left behind.
    expect(list(d.backup)).not.toContain(".killed.zip.rke-tmp-0123456789ab");
    expect(list(d.kubernetes)).toEqual([]);
    // Without a cluster-state source the backup is still taken, after a warning.
    expect(err).toContain('level=warning msg="Error while trying to retrieve cluster state from cluster"');
  }, 90_000);

  test("errors never stop the loop: etcd down on every tick, still running, SIGTERM ends with exit 0 and no files", async () => {
    const port = await freePort();
    const run = startRolling(["--creation", "1s", "--retention", "1h", ...etcd.flags, "--endpoints", `127.0.0.1:${port}`], d.env);
    await run.waitFor((s) => count(s, "Checking member health failed") >= 2, "two failed ticks");
    expect(await run.stop()).toBe(0);
    expect(list(d.backup)).toEqual([]);
    expect(list(d.kubernetes)).toEqual([]);
  }, 60_000);

  describe("with the cluster state from the Kubernetes API", () => {
    let api: KubeApi;
    beforeAll(async () => {
      api = await startKubeApi({ secret: STATE_JSON, configMap: null });
    });
    afterAll(async () => api?.stop());

    test("the Secret's state goes into each archive (pretty JSON, 0600) from memory: nothing is ever written in the kubernetes folder", async () => {
      writeKubeconfig(kubeconfigPathIn(d.kubernetes), api);
      const watched = watchNames(d.kubernetes);
      const run = startRolling(["--creation", "1s", "--retention", "1h", ...etcd.flags], d.env);
      await run.waitFor((s) => count(s, 'msg="Created local backup"') >= 1, "one backup");
      expect(await run.stop()).toBe(0);
      // Not a `.rkestate`, not a temporary one: the state went from the API into the archive in memory.
      expect(await watched.stop()).toEqual([]);
      const err = run.stderr();
      const zip = list(d.backup).find((f) => NAME.test(f))!;
      const name = zip.replace(/\.zip$/, "");
      expect(err).toContain(`level=info msg="Trying to retrieve secret full-cluster-state" attempt=1 name="${name}"`);
      expect(err).toContain(`level=info msg="Retrieved cluster state" bytes=${Buffer.byteLength(STATE_PRETTY)} name="${name}"`);
      expect(err).not.toContain("Successfully written state file content to file");
      const entries = pyZip(join(d.backup, zip));
      expect(entries.map((e) => [e.name, e.mode])).toEqual([
        [`/backup/${name}`, "0o100600"],
        [`/etc/kubernetes/${name}.rkestate`, "0o100600"],
      ]);
      const py = spawnSync(
        "python3",
        ["-c", "import zipfile,sys; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())", join(d.backup, zip), `/etc/kubernetes/${name}.rkestate`],
        { encoding: "utf8" },
      );
      expect(py.stdout).toBe(STATE_PRETTY);
      expect(list(d.kubernetes)).toEqual(["ssl"]);
      expect(err).not.toContain("statekeymaterial");
    }, 60_000);

    test("a failed backup leaves no state file", async () => {
      writeKubeconfig(kubeconfigPathIn(d.kubernetes), api);
      const port = await freePort();
      const run = startRolling(["--creation", "1s", "--retention", "1h", ...etcd.flags, "--endpoints", `127.0.0.1:${port}`], d.env);
      await run.waitFor((s) => count(s, "Checking member health failed") >= 2, "two failed ticks");
      expect(await run.stop()).toBe(0);
      expect(run.stderr()).toContain('msg="Retrieved cluster state"');
      expect(list(d.kubernetes)).toEqual(["ssl"]);
      expect(list(d.backup)).toEqual([]);
    }, 60_000);
  });
});
