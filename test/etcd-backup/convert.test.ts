/**
 * `convert` on renamed tar archives: it finds the entries by the one rule every reader follows
 * (src/snapshot/entries.ts), so it takes what `verify` and the extraction take from the same file,
 * and refuses what they refuse.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openSnapshotArchive } from "../../src/snapshot/archive.ts";
import { writeTarFile, sha256 } from "../archive/tar-helpers.ts";
import { lastLine, runTool } from "../support/bin.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { etcdComponents, startEtcd, type EtcdServer } from "../support/etcd.ts";
import { makeDirs, pyZip, type Dirs } from "./save-helpers.ts";

let etcd: EtcdServer;
let dirs: Dirs;
let snapshot: Buffer;
const STATE = Buffer.from(JSON.stringify({ desiredState: { rkeConfig: {} }, currentState: {} }, null, 2));

const tool = (cmd: string, name: string) => runTool("rke-etcd-backup", ["etcd-backup", cmd, "--name", name], { env: dirs.env, timeoutMs: 120_000 });
const named = (prefix: string) => readdirSync(dirs.backup).filter((f) => f.startsWith(prefix) || f.startsWith(`.${prefix}`));

describeWith([...etcdComponents, hasCommand("python3", "apt-get install python3")], "convert (renamed tar archives)", () => {
  beforeAll(async () => {
    etcd = await startEtcd();
    await etcd.fill(1024 * 1024);
    dirs = makeDirs();
    const out = join(dirs.root, "etcdctl.db");
    expect(etcd.etcdctl(["snapshot", "save", out]).code).toBe(0);
    snapshot = readFileSync(out);
  }, 60_000);
  afterAll(async () => {
    await etcd?.stop();
    dirs?.cleanup();
  });

  for (const [format, prefix] of [
    ["tar.gz", ""],
    ["tar.zst", "./"],
  ] as const) {
    test(`a ${format} snapshot of name a renamed to b (entries ${prefix}backup/a, ${prefix}etc/kubernetes/a.rkestate): converted as verify and extract read it`, async () => {
      const b = `b-${format.replace(".", "-")}`;
      const tar = join(dirs.backup, `${b}.${format}`);
      await writeTarFile(tar, format === "tar.gz" ? "gzip" : "zstd", [
        { name: `${prefix}etc/kubernetes/a.rkestate`, mode: 0o400, data: STATE },
        { name: `${prefix}backup/a`, mode: 0o600, data: snapshot },
      ]);
      // What the other readers make of the same file.
      expect((await tool("verify", b)).code).toBe(0);
      const extracted = join(dirs.root, `${b}.db`);
      expect((await (await openSnapshotArchive(tar)).extract("snapshot", b, extracted)).entry).toBe(`${prefix}backup/a`);

      const c = await tool("convert", b);
      expect(c.code).toBe(0);
      expect(c.stdout).toContain(`${join(dirs.backup, `${b}.zip`)}: verified`);
      expect(c.stderr).toContain(`Entry [backup/${b}] not found in [${tar}]: using its only candidate [${prefix}backup/a]`);
      expect(c.stderr).toContain(`Entry [etc/kubernetes/${b}.rkestate] not found in [${tar}]: using its only candidate [${prefix}etc/kubernetes/a.rkestate]`);
      expect(c.stderr).not.toContain("Leaving out an entry");
      const entries = pyZip(join(dirs.backup, `${b}.zip`));
      expect(entries.map((e) => [e.name, e.mode, e.sha256])).toEqual([
        [`/etc/kubernetes/${b}.rkestate`, "0o100400", sha256(STATE)],
        [`/backup/${b}`, "0o100600", sha256(readFileSync(extracted))],
      ]);
      expect(entries[1]!.sha256).toBe(sha256(snapshot));
      expect(named(b).sort()).toEqual([`${b}.${format}`, `${b}.zip`]);
    });
  }

  test("two snapshot candidates and no entry of the name: refused as verify refuses it, nothing written", async () => {
    const tar = join(dirs.backup, "two.tar.gz");
    await writeTarFile(tar, "gzip", [
      { name: "backup/a", mode: 0o600, data: snapshot },
      { name: "backup/c", mode: 0o600, data: snapshot },
    ]);
    const v = await tool("verify", "two");
    expect(v.code).toBe(1);
    expect(v.stdout).toContain("no entry backup/two");
    const c = await tool("convert", "two");
    expect(c.code).toBe(1);
    expect(lastLine(c.stderr)).toContain(`Cannot convert snapshot two: the zip written from ${tar} does not verify: snapshot entry: no entry /backup/two`);
    expect(named("two")).toEqual(["two.tar.gz"]);
  });
});
