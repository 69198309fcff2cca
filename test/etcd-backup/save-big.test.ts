/**
 * Several hundred MB of k8s-like data in a real etcd: the archive's entry equals etcdctl's own
 * snapshot byte for byte, and SIGTERM in the middle of a snapshot leaves nothing behind.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "bun:test";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { isTempName } from "../../src/fs/atomic.ts";
import { lastLine, runTool, toolPath } from "../support/bin.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { etcdComponents, startEtcd, type EtcdServer } from "../support/etcd.ts";
import { list, makeDirs, pyZip, sha256File, unzipTest, type Dirs } from "./save-helpers.ts";

const MB = 2 ** 20;

describeWith([...etcdComponents, hasCommand("unzip", "apt-get install unzip"), hasCommand("python3", "apt-get install python3")], "save with several hundred MB", () => {
  let etcd: EtcdServer;
  let d: Dirs;
  beforeAll(async () => {
    etcd = await startEtcd();
    await etcd.fill(320 * MB);
  }, 300_000);
  afterAll(async () => etcd?.stop());
  beforeEach(() => (d = makeDirs()));
  afterEach(() => d.cleanup());

  test("--once: unzip -t passes, the entry is etcdctl's snapshot byte for byte, the archive is smaller", async () => {
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "save", "--once", "--name", "big", ...etcd.flags], { env: d.env, timeoutMs: 240_000 });
    expect(r.code).toBe(0);
    const zip = join(d.backup, "big.zip");
    expect(unzipTest(zip).code).toBe(0);
    const ref = join(d.root, "ref.db");
    expect(etcd.etcdctl(["snapshot", "save", ref]).code).toBe(0);
    const [entry] = pyZip(zip);
    expect(entry!.size).toBeGreaterThan(300 * MB);
    expect(entry!.sha256).toBe(sha256File(ref));
    expect(statSync(zip).size).toBeLessThan(entry!.size / 2);
  }, 300_000);

  const killMidway = async (args: string[]) => {
    const proc = Bun.spawn([toolPath("rke-etcd-backup"), "etcd-backup", "save", ...args, ...etcd.flags], { env: d.env, stdout: "ignore", stderr: "pipe" });
    const stderr = new Response(proc.stderr).text();
    const deadline = Date.now() + 120_000;
    while (!readdirSync(d.backup).some(isTempName)) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`no snapshot in progress seen: ${await stderr}`);
      await Bun.sleep(10);
    }
    proc.kill("SIGTERM");
    return { code: await proc.exited, stderr: await stderr };
  };

  test("rolling: SIGTERM during a snapshot ends with exit 0 and leaves no partial file", async () => {
    const r = await killMidway(["--creation", "1s", "--retention", "1h"]);
    expect(r.code).toBe(0);
    expect(list(d.backup)).toEqual([]);
    expect(list(d.kubernetes)).toEqual([]);
  }, 180_000);

  test("--once: SIGTERM during the snapshot fails (exit 1, one line) and leaves no partial file", async () => {
    const r = await killMidway(["--once", "--name", "killed"]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/level=fatal msg="Cannot save snapshot killed: aborted"/);
    expect(list(d.backup)).toEqual([]);
  }, 180_000);
});
