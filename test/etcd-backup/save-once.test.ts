/** `save --once` against a real etcd over client-certificate TLS, checked with unzip, zipinfo and Python. */
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { lastLine, runTool } from "../support/bin.ts";
import { describeWith, hasCommand, isRoot } from "../support/components.ts";
import { etcdComponents, freePort, startEtcd, type EtcdServer } from "../support/etcd.ts";
import { list, makeDirs, pyZip, sha256File, unzipTest, type Dirs } from "./save-helpers.ts";

const tools = [hasCommand("unzip", "apt-get install unzip"), hasCommand("zipinfo", "apt-get install unzip"), hasCommand("python3", "apt-get install python3")];

describeWith([...etcdComponents, ...tools], "save --once", () => {
  let etcd: EtcdServer;
  let d: Dirs;
  const save = (args: string[], env: Record<string, string> = {}) => runTool("rke-etcd-backup", ["etcd-backup", "save", ...args], { env: { ...d.env, ...env } });

  beforeAll(async () => {
    etcd = await startEtcd();
    await etcd.fill(6 * 2 ** 20);
  }, 60_000);
  afterAll(async () => etcd?.stop());
  beforeEach(() => (d = makeDirs()));
  afterEach(() => d.cleanup());

  test("writes the original's archive: absolute names, modes, content equal to etcdctl's snapshot", async () => {
    writeFileSync(join(d.kubernetes, "snap1.rkestate"), '{"a":1}\n');
    chmodSync(join(d.kubernetes, "snap1.rkestate"), 0o644);
    const r = await save(["--once", "--name", "snap1", ...etcd.flags]);
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^time="[^"]+Z" level=info msg="Initializing Onetime Backup" name=snap1$/);
    expect(lines[1]).toMatch(/^time="[^"]+" level=info msg="Created local backup" name=snap1 runtime=[0-9.]+(ms|s|µs)$/);
    expect(list(d.backup)).toEqual(["snap1.zip"]);
    expect(list(d.kubernetes)).toEqual([]); // the state file was archived and removed
    const zip = join(d.backup, "snap1.zip");
    expect(statSync(zip).mode & 0o777).toBe(0o600);
    expect(unzipTest(zip).code).toBe(0);
    const info = spawnSync("zipinfo", [zip], { encoding: "utf8" }).stdout;
    expect(info).toMatch(/-rw-------\s+2\.0 unx\s+\d+ bX defN 70-Jan-01 00:00 \/backup\/snap1\n/);
    expect(info).toMatch(/-rw-r--r--\s+2\.0 unx\s+8 bX defN 70-Jan-01 00:00 \/etc\/kubernetes\/snap1\.rkestate\n/);
    const entries = pyZip(zip);
    expect(entries.map((e) => [e.name, e.mode, e.create_system, e.create_version, e.flags])).toEqual([
      ["/backup/snap1", "0o100600", 3, 20, 8],
      ["/etc/kubernetes/snap1.rkestate", "0o100644", 3, 20, 8],
    ]);
    // The first bytes as the original's (docs/contract.md §o-appendix-a): local header of entry 1.
    const head = Buffer.from(await Bun.file(zip).slice(0, 52).arrayBuffer());
    expect(head.toString("hex")).toBe("504b03041400080008000000" + "21ec" + "0".repeat(24) + "0d000900" + Buffer.from("/backup/snap1").toString("hex") + "555405000100000000");
    // Content: byte for byte what `etcdctl snapshot save` writes (database + SHA-256 trailer).
    const ref = join(d.root, "ref.db");
    expect(etcd.etcdctl(["snapshot", "save", ref]).code).toBe(0);
    expect(entries[0]!.sha256).toBe(sha256File(ref));
    expect(entries[0]!.size).toBe(statSync(ref).size);
  }, 60_000);

  test("without a state file the archive has one entry; an existing zip is replaced", async () => {
    writeFileSync(join(d.backup, "snap2.zip"), "old");
    const r = await save(["--once", "--name=snap2", ...etcd.flags]);
    expect(r.code).toBe(0);
    expect(pyZip(join(d.backup, "snap2.zip")).map((e) => e.name)).toEqual(["/backup/snap2"]);
    expect(list(d.backup)).toEqual(["snap2.zip"]);
  }, 60_000);

  // Issue 19.6: RKE's checksum check reads the raw file by that name after a restore download.
  test("a stale raw /backup/<name> beside the new archive is removed, as by the original", async () => {
    writeFileSync(join(d.backup, "snap6"), "stale raw snapshot of an older restore");
    const r = await save(["--once", "--name", "snap6", ...etcd.flags]);
    expect(r.code).toBe(0);
    expect(list(d.backup)).toEqual(["snap6.zip"]);
  }, 60_000);

  test("a directory at /backup/<name> is left alone with a warning; the save succeeds", async () => {
    mkdirSync(join(d.backup, "snap7"));
    const r = await save(["--once", "--name", "snap7", ...etcd.flags]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/level=warning msg="Stale raw snapshot not removed" error=".*snap7 is a directory"/);
    expect(list(d.backup)).toEqual(["snap7", "snap7.zip"]);
  }, 60_000);

  // Issue 19.5: two saves of one name deleted each other's temporary archive.
  describe("one save per name at a time (flock on /backup/.<name>.rke-tmp-lock)", () => {
    const lockOf = (name: string) => join(d.backup, `.${name}.rke-tmp-lock`);
    test("while another process holds the name: exit 1 at once with a clear line, nothing touched", async () => {
      writeFileSync(join(d.kubernetes, "same.rkestate"), "{}");
      // Another process holds the same kind of lock (flock(2)) another save would.
      const hold =
        "import fcntl, os, sys, time\nfd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\nfcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nprint('held', flush=True)\ntime.sleep(60)";
      const holder = Bun.spawn(["python3", "-c", hold, lockOf("same")], { stdout: "pipe" });
      try {
        const reader = holder.stdout.getReader();
        expect(new TextDecoder().decode((await reader.read()).value)).toStartWith("held");
        const r = await save(["--once", "--name", "same", ...etcd.flags]);
        expect(r.code).toBe(1);
        expect(lastLine(r.stderr)).toMatch(/level=fatal msg="Cannot save snapshot same: another save of this name is running on .*backup"$/);
        expect(list(d.backup)).toEqual([".same.rke-tmp-lock"]);
        expect(list(d.kubernetes)).toEqual(["same.rkestate"]); // the winner's to archive
      } finally {
        holder.kill(9);
        await holder.exited;
      }
      const r = await save(["--once", "--name", "same", ...etcd.flags]);
      expect(r.code).toBe(0);
      expect(list(d.backup)).toEqual(["same.zip"]); // the lock file goes with its holder
    }, 60_000);

    test("a lock file a killed save left (no one holds it) neither blocks nor stays", async () => {
      writeFileSync(lockOf("left"), "");
      writeFileSync(lockOf("other"), ""); // another name's, also unheld
      const r = await save(["--once", "--name", "left", ...etcd.flags]);
      expect(r.code).toBe(0);
      expect(list(d.backup)).toEqual(["left.zip"]);
    }, 60_000);

    test("two saves of one name started together: a complete archive, any loser says why, no leftovers", async () => {
      const [a, b] = await Promise.all([save(["--once", "--name", "race", ...etcd.flags]), save(["--once", "--name", "race", ...etcd.flags])]);
      expect([a, b].some((r) => r.code === 0)).toBe(true);
      for (const r of [a, b]) if (r.code !== 0) expect(lastLine(r.stderr)).toContain("another save of this name is running");
      expect(list(d.backup)).toEqual(["race.zip"]);
      expect(unzipTest(join(d.backup, "race.zip")).code).toBe(0);
    }, 60_000);
  });

  // Issue 19.13: every reader refuses a state entry over 64 MiB; the save archived it anyway.
  test("a state file over 64 MiB: refused before the snapshot, exit 1, no archive, the file left as it was", async () => {
    const state = join(d.kubernetes, "bigstate.rkestate");
    writeFileSync(state, "");
    truncateSync(state, 64 * 2 ** 20 + 1); // sparse
    const r = await save(["--once", "--name", "bigstate", ...etcd.flags]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(
      /level=fatal msg="Cannot save snapshot bigstate: Cannot read state file .*bigstate\.rkestate: it holds 67108865 bytes; a restore reads at most 67108864 \(64 MiB\)"$/,
    );
    expect(list(d.backup)).toEqual([]);
    expect(list(d.kubernetes)).toEqual(["bigstate.rkestate"]);
  }, 60_000);

  test("a state file deployed read-only (0400) keeps its mode and the MS-DOS read-only bit", async () => {
    writeFileSync(join(d.kubernetes, "ro.rkestate"), "{}");
    chmodSync(join(d.kubernetes, "ro.rkestate"), 0o400);
    expect((await save(["--once", "--name", "ro", ...etcd.flags])).code).toBe(0);
    const e = pyZip(join(d.backup, "ro.zip"))[1]!;
    expect([e.mode, e.external & 0xff]).toEqual(["0o100400", 1]);
  }, 60_000);

  test("env fallbacks ETCD_CACERT / ETCD_CERT / ETCD_KEY", async () => {
    const env = { ETCD_CACERT: etcd.pki.ca, ETCD_CERT: etcd.pki.client.cert, ETCD_KEY: etcd.pki.client.key };
    const r = await save(["--once", "--name", "envsnap", "--endpoints", etcd.endpoint], env);
    expect(r.code).toBe(0);
    expect(list(d.backup)).toEqual(["envsnap.zip"]);
  }, 60_000);

  test("https:// endpoints and a comma list (every member health-checked, the first one snapshotted)", async () => {
    const r = await save(["--once", "--name", "multi", ...etcd.flags, `--endpoints=https://${etcd.endpoint},${etcd.endpoint}`]);
    expect(r.code).toBe(0);
    expect(list(d.backup)).toEqual(["multi.zip"]);
  }, 60_000);

  test("etcd down: health warning, one clear fatal line, exit 1, nothing written", async () => {
    const port = await freePort();
    const r = await save(["--once", "--name", "down", ...etcd.flags, "--endpoints", `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('level=warning msg="Checking member health failed from etcd member"');
    expect(lastLine(r.stderr)).toMatch(/level=fatal msg="Cannot save snapshot down: etcd is unhealthy: 127\.0\.0\.1:\d+ is unhealthy: /);
    expect(list(d.backup)).toEqual([]);
  }, 60_000);

  test("--backup-retries 1 makes two attempts (interval shortened for the test)", async () => {
    const port = await freePort();
    const r = await save(["--once", "--name", "down", ...etcd.flags, "--endpoints", `127.0.0.1:${port}`, "--backup-retries", "1"], {
      RKE_TOOLS_BACKUP_RETRY_INTERVAL: "50ms",
    });
    expect(r.code).toBe(1);
    expect(r.stderr.match(/Checking member health failed/g)).toHaveLength(2);
    expect(list(d.backup)).toEqual([]);
  }, 60_000);

  test("a server certificate from a foreign CA is refused (unhealthy), nothing written", async () => {
    const r = await save([
      "--once",
      "--name",
      "foreign",
      "--endpoints",
      etcd.endpoint,
      "--cacert",
      etcd.pki.foreignCa,
      "--cert",
      etcd.pki.client.cert,
      "--key",
      etcd.pki.client.key,
    ]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain("etcd is unhealthy");
    expect(list(d.backup)).toEqual([]);
  }, 60_000);

  test("a directory in the way of the zip or of the state file: one clear line, exit 1, nothing written", async () => {
    mkdirSync(join(d.backup, "dz.zip"));
    let r = await save(["--once", "--name", "dz", ...etcd.flags]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/level=fatal msg="Cannot save snapshot dz: .*dz\.zip is a directory"/);
    expect(list(d.backup)).toEqual(["dz.zip"]);
    mkdirSync(join(d.kubernetes, "ds.rkestate"));
    r = await save(["--once", "--name", "ds", ...etcd.flags]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/level=fatal msg="Cannot save snapshot ds: Cannot read state file .*ds\.rkestate: it is a directory"/);
    expect(list(d.backup)).toEqual(["dz.zip"]);
  }, 60_000);

  test("named retention: this Rancher cluster's old recurring snapshots only (c-m- prefix bug fixed)", async () => {
    const old = (Date.now() - 25 * 3600_000) / 1000;
    const young = (Date.now() - 23 * 3600_000) / 1000;
    const files: Record<string, number> = {
      "c-abc12-rl-old1.zip": old,
      "c-abc12-rl-old2": old,
      "c-abc12-rs-old4.zip": old,
      "c-abc12-rl-old9.txt": old,
      "c-abc12-rl-": old,
      "c-abc12-ml-keep.zip": old,
      "c-xyz99-rl-keep.zip": old,
      "c-abc12-old7.zip": old,
      "c-abc12-rXl-keep.zip": old,
      "c-abc12-rl-young.zip": young,
      "c-m-aaaa1111-rl-old.zip": old,
      "c-m-bbbb2222-rl-other.zip": old,
      snap1: old,
    };
    for (const [f, t] of Object.entries(files)) {
      writeFileSync(join(d.backup, f), "x");
      utimesSync(join(d.backup, f), t, t);
    }
    mkdirSync(join(d.backup, "c-abc12-rl-adir"));
    utimesSync(join(d.backup, "c-abc12-rl-adir"), old, old);
    let r = await save(["--once", "--name", "c-abc12-rl-new", ...etcd.flags]);
    expect(r.code).toBe(0);
    for (const gone of ["c-abc12-rl-old1.zip", "c-abc12-rl-old2", "c-abc12-rs-old4.zip", "c-abc12-rl-old9.txt", "c-abc12-rl-"]) {
      expect(existsSync(join(d.backup, gone))).toBe(false);
      expect(r.stderr).toContain(`msg="Deleted local backup" name=${gone} runtime=`);
    }
    expect(r.stderr).toContain('level=warning msg="Delete local backup failed"');
    for (const kept of [
      "c-abc12-ml-keep.zip",
      "c-xyz99-rl-keep.zip",
      "c-abc12-old7.zip",
      "c-abc12-rXl-keep.zip",
      "c-abc12-rl-young.zip",
      "c-abc12-rl-new.zip",
      "c-abc12-rl-adir",
    ]) {
      expect(existsSync(join(d.backup, kept))).toBe(true);
    }
    r = await save(["--once", "--name", "c-m-aaaa1111-rl-new", ...etcd.flags]);
    expect(r.code).toBe(0);
    expect(existsSync(join(d.backup, "c-m-aaaa1111-rl-old.zip"))).toBe(false);
    expect(existsSync(join(d.backup, "c-m-bbbb2222-rl-other.zip"))).toBe(true); // another c-m- cluster
  }, 60_000);

  test("--s3-backup: the local zip is kept and the last line carries RKE's upload phrase", async () => {
    const r = await save(["--once", "--name", "s3snap", ...etcd.flags, "--s3-backup"]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain("failed to upload etcd snapshot file");
    expect(list(d.backup)).toEqual(["s3snap.zip"]);
  }, 60_000);

  test("progress lines (interval shortened): between the first line and 'Created local backup', percentages rising to at most 100", async () => {
    const r = await save(["--once", "--name", "prog", ...etcd.flags], { RKE_TOOLS_PROGRESS_INTERVAL: "1ms" });
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toContain('msg="Initializing Onetime Backup"');
    expect(lastLine(r.stderr)).toContain('msg="Created local backup" name=prog');
    const progress = lines.slice(1, -1);
    expect(progress.length).toBeGreaterThan(0);
    // Before etcd's first message the total is not known yet: bytes and rate only.
    const before = /^time="[^"]+" level=info msg="Saving snapshot: 0 B, 0 B\/s" bytes=0 name=prog rate="0 B\/s"$/;
    const known =
      /^time="[^"]+" level=info msg="Saving snapshot: [0-9.]+ (B|KiB|MiB) of [0-9.]+ MiB \((\d+)%\), [0-9.]+ (B|KiB|MiB|GiB)\/s" bytes=\d+ name=prog percent=(\d+) rate="[^"]+" total=\d+$/;
    for (const l of progress) expect(before.test(l) || known.test(l)).toBe(true);
    const percents = progress.filter((l) => known.test(l)).map((l) => Number(l.match(known)![4]));
    expect(percents.length).toBeGreaterThan(0);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(Math.max(...percents)).toBeLessThanOrEqual(100);
    // With RKE_TOOLS_PROGRESS_INTERVAL=0 there are none, as for a save shorter than the default 10 s.
    const quiet = await save(["--once", "--name", "quiet", ...etcd.flags], { RKE_TOOLS_PROGRESS_INTERVAL: "0" });
    expect(quiet.stderr.trim().split("\n")).toHaveLength(2);
  }, 60_000);

  test("a bad RKE_TOOLS_PROGRESS_INTERVAL is one clear line naming it, nothing written", async () => {
    const r = await save(["--once", "--name", "badprog", ...etcd.flags], { RKE_TOOLS_PROGRESS_INTERVAL: "soon" });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/level=fatal msg="invalid value \\"soon\\" for env RKE_TOOLS_PROGRESS_INTERVAL: /);
    expect(list(d.backup)).toEqual([]);
  }, 60_000);

  describeWith([isRoot], "disk full", () => {
    test("a full /backup (1 MiB tmpfs): one clear line, exit 1, no temporary or final file left", async () => {
      const small = join(d.root, "small");
      mkdirSync(small);
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", small]);
      try {
        const r = await save(["--once", "--name", "full", ...etcd.flags], { RKE_TOOLS_BACKUP_DIR: small });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('level=warning msg="Compressing backup failed" attempt=1');
        expect(lastLine(r.stderr)).toMatch(/level=fatal msg="Cannot save snapshot full: Cannot write .*\/small\/full\.zip: no space left on device"/);
        expect(list(small)).toEqual([]);
      } finally {
        execFileSync("umount", [small]);
      }
    }, 60_000);
  });
});
