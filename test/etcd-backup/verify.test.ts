/**
 * `verify` and `list` on archives made from a real etcd snapshot (etcdctl's own output), in
 * each tar format and raw, whole and damaged: exit 0 only when every check holds, one clear last
 * line otherwise.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { copyFileSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ArchiveFormat } from "../../src/archive/format.ts";
import { snapshotEntryName, stateEntryName } from "../../src/snapshot/layout.ts";
import { createSnapshotArchive } from "../../src/snapshot/archive.ts";
import { ZipWriter } from "../../src/archive/zip-writer.ts";
import { AtomicFile } from "../../src/fs/atomic.ts";
import { writeTarFile } from "../archive/tar-helpers.ts";
import { lastLine, runTool } from "../support/bin.ts";
import { describeWith } from "../support/components.ts";
import { writeGoZip } from "../support/go-zip.ts";
import { etcdComponents, startEtcd, type EtcdServer } from "../support/etcd.ts";
import { makeDirs, type Dirs } from "./save-helpers.ts";

let etcd: EtcdServer;
let dirs: Dirs;
let snapshot: Buffer;
const STATE = Buffer.from(JSON.stringify({ desiredState: { rkeConfig: {} }, currentState: {} }, null, 2));

async function makeTar(path: string, format: Exclude<ArchiveFormat, "zip">, name: string, data: Uint8Array, state?: Uint8Array): Promise<void> {
  const file = await AtomicFile.create(path);
  async function* chunks() {
    for (let o = 0; o < data.byteLength; o += 100_000) yield data.subarray(o, o + 100_000);
  }
  await createSnapshotArchive(file, format, { name, snapshot: chunks(), snapshotSize: () => data.byteLength, state: state && { data: state, mode: 0o400 } });
  await file.commit();
}

async function makeZip(path: string, name: string, data: Uint8Array, state?: Uint8Array): Promise<void> {
  const file = await AtomicFile.create(path);
  const zip = new ZipWriter(file);
  await zip.add(snapshotEntryName(name), 0o600, data);
  if (state) await zip.add(stateEntryName(name), 0o400, state);
  await zip.finish();
  await file.commit();
}

const verify = (name: string, extra: string[] = []) => runTool("rke-etcd-backup", ["etcd-backup", "verify", "--name", name, ...extra], { env: dirs.env });

describeWith(etcdComponents, "verify and list", () => {
  beforeAll(async () => {
    etcd = await startEtcd();
    await etcd.fill(2 * 1024 * 1024);
    dirs = makeDirs();
    const out = join(dirs.root, "etcdctl.db");
    const r = etcd.etcdctl(["snapshot", "save", out]);
    expect(r.code).toBe(0);
    snapshot = readFileSync(out);
  }, 60_000);
  afterAll(async () => {
    await etcd?.stop();
    dirs?.cleanup();
  });

  for (const format of ["tar.gz", "tar.zst"] as const) {
    test(`a whole ${format} archive verifies; every check is printed`, async () => {
      const name = `whole-${format}`;
      await makeTar(join(dirs.backup, `${name}.${format}`), format, name, snapshot, STATE);
      const r = await verify(name);
      expect(r.stderr).toContain("Verified snapshot");
      expect(r.code).toBe(0);
      const out = r.stdout;
      expect(out).toContain(`${join(dirs.backup, `${name}.${format}`)}: verified`);
      expect(out).toMatch(new RegExp(`ok +format +${format.replace(".", "\\.")} \\(magic `));
      expect(out).toMatch(/ok +integrity +.* and 2 tar header checksums, read to the end/);
      expect(out).toMatch(new RegExp(`ok +snapshot entry +backup/${name}, ${snapshot.byteLength} bytes`));
      expect(out).toContain(`matches: ${snapshot.subarray(-32).toString("hex")}`);
      expect(out).toMatch(new RegExp(`ok +state file +etc/kubernetes/${name}\\.rkestate, ${STATE.byteLength} bytes of JSON`));
      expect(out).toMatch(/- +stored SHA-256 +none stored; archive SHA-256 [0-9a-f]{64}/);
      const json = await verify(name, ["--output", "json"]);
      const reports = JSON.parse(json.stdout);
      expect(reports).toHaveLength(1);
      expect(reports[0].ok).toBe(true);
      expect(reports[0].snapshotSha256).toBe(snapshot.subarray(-32).toString("hex"));
    });

    test(`a truncated ${format} archive fails verify with one clear line`, async () => {
      const name = `trunc-${format}`;
      const path = join(dirs.backup, `${name}.${format}`);
      await makeTar(path, format, name, snapshot, STATE);
      truncateSync(path, Math.floor(readFileSync(path).byteLength * 0.7));
      const r = await verify(name);
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toContain(`Cannot verify snapshot ${name}: ${path}: integrity: Cannot read archive ${path}: truncated: the `);
      expect(r.stdout).toContain(`${path}: FAILED`);
    });

    test(`a corrupted ${format} archive fails verify`, async () => {
      const name = `corrupt-${format}`;
      const path = join(dirs.backup, `${name}.${format}`);
      await makeTar(path, format, name, snapshot, STATE);
      const buf = readFileSync(path);
      const at = Math.floor(buf.byteLength * 0.5);
      for (let i = at; i < at + 64; i++) buf[i] = buf[i]! ^ 0xa5;
      writeFileSync(path, buf);
      const r = await verify(name);
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(
        new RegExp(`Cannot verify snapshot ${name}: .*: (integrity: Cannot read archive .*: (corrupt|truncated)|etcd SHA-256 trailer: trailer [0-9a-f]+, but the data hashes to)`),
      );
    });
  }

  test("a zip (RKE's format) verifies: CRC-32 of each entry, trailer, state file", async () => {
    const name = "zipped";
    await makeZip(join(dirs.backup, `${name}.zip`), name, snapshot, STATE);
    const r = await verify(name);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok +format +zip \(magic 504b0304\)/);
    expect(r.stdout).toMatch(/ok +integrity +CRC-32 and size of 2 zip entries, read to the end/);
    expect(r.stdout).toMatch(new RegExp(`ok +snapshot entry +/backup/${name}, ${snapshot.byteLength} bytes`));
    expect(r.stdout).toMatch(/ok +etcd SHA-256 trailer +matches/);
    expect(r.stdout).toMatch(new RegExp(`ok +state file +/etc/kubernetes/${name}\\.rkestate`));
  });

  test("progress lines (interval shortened): the archive's bytes read against its size, before 'Verified snapshot'", async () => {
    const name = "progressed";
    const path = join(dirs.backup, `${name}.zip`);
    await makeZip(path, name, snapshot, STATE);
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "verify", "--name", name], { env: { ...dirs.env, RKE_TOOLS_PROGRESS_INTERVAL: "1ms" } });
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split("\n");
    const progress = lines.filter((l) => l.includes('msg="Verifying snapshot: '));
    expect(progress.length).toBeGreaterThan(0);
    const size = statSync(path).size;
    for (const l of progress)
      expect(l).toMatch(
        new RegExp(
          `msg="Verifying snapshot: [0-9.]+ (B|KiB|MiB) of [0-9.]+ (KiB|MiB) \\(\\d+%\\), [^"]+" bytes=\\d+ file=${name}\\.zip name=${name} percent=\\d+ rate="[^"]+" total=${size}$`,
        ),
      );
    expect(lastLine(r.stderr)).toContain('msg="Verified snapshot"');
  });

  test("a zip with a flipped byte fails its CRC or inflate check; a truncated one is no zip", async () => {
    const name = "zip-bad";
    const path = join(dirs.backup, `${name}.zip`);
    await makeZip(path, name, snapshot, STATE);
    const buf = readFileSync(path);
    const at = Math.floor(buf.byteLength / 2);
    for (let i = at; i < at + 8; i++) buf[i] = buf[i]! ^ 0x77;
    writeFileSync(path, buf);
    let r = await verify(name);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(new RegExp(`Cannot verify snapshot ${name}: ${path}: integrity: zip: entry /backup/${name} of ${path} `));
    truncateSync(path, at);
    r = await verify(name);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain(`integrity: zip: not a valid zip file (${path}: `);
  });

  test("a snapshot whose data no longer matches etcd's trailer fails, though the archive is sound", async () => {
    const name = "bad-trailer";
    const bad = Buffer.from(snapshot);
    bad[Math.floor(bad.byteLength / 2)]! ^= 0xff;
    await makeTar(join(dirs.backup, `${name}.tar.zst`), "tar.zst", name, bad, STATE);
    const r = await verify(name);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ok +integrity/);
    expect(lastLine(r.stderr)).toMatch(new RegExp(`etcd SHA-256 trailer: trailer ${snapshot.subarray(-32).toString("hex")}, but the data hashes to [0-9a-f]{64}`));
  });

  test("a state file that is not JSON fails", async () => {
    const name = "bad-state";
    await makeTar(join(dirs.backup, `${name}.tar.gz`), "tar.gz", name, snapshot, Buffer.from("{not json"));
    const r = await verify(name);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain(`state file: etc/kubernetes/${name}.rkestate is not JSON`);
  });

  test("two entries of the snapshot's name (the second corrupt, which unzip and tar take): refused, zip and tar (issue 19, item 12)", async () => {
    const bad = Buffer.from(snapshot);
    bad[100] = bad[100]! ^ 0xff;
    const zipName = "dup-zip";
    const zip = join(dirs.backup, `${zipName}.zip`);
    await writeGoZip(zip, [
      { name: snapshotEntryName(zipName), data: snapshot },
      { name: `backup/${zipName}`, data: bad },
    ]);
    const z = await verify(zipName);
    expect(z.code).toBe(1);
    expect(lastLine(z.stderr)).toContain(`Cannot verify snapshot ${zipName}: ${zip}: integrity: Cannot read archive ${zip}: it holds two entries named backup/${zipName}`);
    const tarName = "dup-tar";
    const tar = join(dirs.backup, `${tarName}.tar.zst`);
    await writeTarFile(tar, "zstd", [
      { name: `backup/${tarName}`, mode: 0o600, data: snapshot },
      { name: `./backup/${tarName}`, mode: 0o600, data: bad },
    ]);
    const t = await verify(tarName);
    expect(t.code).toBe(1);
    expect(lastLine(t.stderr)).toContain(`integrity: Cannot read archive ${tar}: it holds two entries named backup/${tarName}`);
    const extract = await runTool("rke-etcd-backup", ["etcd-backup", "extractstatefile", "--name", zipName], { env: dirs.env });
    expect(extract.code).toBe(1);
    expect(lastLine(extract.stderr)).toContain(`it holds two entries named backup/${zipName}`);
  });

  test("a raw snapshot (as serve and download leave it) verifies by its trailer", async () => {
    const name = "raw-one";
    copyFileSync(join(dirs.root, "etcdctl.db"), join(dirs.backup, name));
    const r = await verify(name);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok +format +raw \(bbolt meta magic\)/);
    expect(r.stdout).toContain(`matches: ${snapshot.subarray(-32).toString("hex")}`);
  });

  test("a name with no archive, a bad name, a file that is no archive", async () => {
    let r = await verify("nothing-here");
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain(
      `Cannot verify snapshot nothing-here: none of nothing-here.zip, nothing-here.tar.gz, nothing-here.tar.zst or nothing-here is in ${dirs.backup}`,
    );
    r = await verify("../etc");
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain(`invalid snapshot name \\"../etc\\" given by --name: it contains '/'`);
    writeFileSync(join(dirs.backup, "junk.tar.zst"), "this is not an archive at all");
    r = await verify("junk");
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain("format: not a zip, gzip, zstd or etcd snapshot file (first bytes 74686973)");
  });

  test("list shows every snapshot with its format, size, state file; json too", async () => {
    const name = "listed";
    await makeTar(join(dirs.backup, `${name}.tar.zst`), "tar.zst", name, snapshot, STATE);
    await makeTar(join(dirs.backup, `${name}-nostate.tar.gz`), "tar.gz", `${name}-nostate`, snapshot);
    writeFileSync(join(dirs.backup, "pki.bundle.tar.gz"), Bun.gzipSync(new Uint8Array(10)));
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "list"], { env: dirs.env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^LOCATION +NAME +FORMAT +SIZE +TIME +STATE +SHA256$/);
    expect(lines.find((l) => l.includes(" listed "))).toMatch(/^local +listed +tar\.zst +[\d.]+ KiB +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +yes +-$/);
    expect(lines.find((l) => l.includes(" listed-nostate "))).toMatch(/ tar\.gz .* no +-$/);
    expect(lines.find((l) => l.includes(" raw-one "))).toMatch(/ raw .* no +-$/);
    expect(lines.find((l) => l.includes(" zipped "))).toMatch(/ zip .* yes +-$/);
    expect(r.stdout).not.toContain("pki.bundle");
    const j = await runTool("rke-etcd-backup", ["etcd-backup", "list", "--output", "json"], { env: dirs.env });
    const records = JSON.parse(j.stdout) as { name: string; format: string; size: number; stateFile: boolean; sha256: string | null; path: string }[];
    const listed = records.find((x) => x.name === name)!;
    expect(listed).toMatchObject({ format: "tar.zst", stateFile: true, sha256: null, path: join(dirs.backup, `${name}.tar.zst`) });
    expect(listed.size).toBe(readFileSync(join(dirs.backup, `${name}.tar.zst`)).byteLength);
  });

  test("list --output yaml is a usage error", async () => {
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "list", "--output", "yaml"], { env: dirs.env });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain('invalid value \\"yaml\\" for flag -output: must be text or json');
  });
  /** What `etcdctl snapshot status -w json` prints for the raw snapshot: the reference. */
  const etcdctlStatus = () => {
    const r = Bun.spawnSync(["etcdctl", "snapshot", "status", "-w", "json", join(dirs.root, "etcdctl.db")], { env: { PATH: process.env.PATH, ETCDCTL_API: "3" } });
    expect(r.exitCode).toBe(0);
    return JSON.parse(r.stdout.toString()) as { hash: number; revision: number; totalKey: number; totalSize: number };
  };

  /** RKE's full cluster state with real PEM (test PKI): the CA with its key, kube-node, one etcd member. */
  const fullState = () => {
    const pki = etcd.pki;
    const pair = (c: { cert: string; key: string }) => ({ certificatePEM: pki.read(c.cert), keyPEM: pki.read(c.key) });
    const bundle = { "kube-ca": { certificatePEM: pki.read(pki.ca), keyPEM: pki.read(pki.caKey) }, "kube-node": pair(pki.node), "kube-etcd-127-0-0-1": pair(pki.server) };
    const rkeConfig = { nodes: [{ address: "127.0.0.1", role: ["etcd", "controlplane", "worker"] }] };
    return Buffer.from(JSON.stringify({ desiredState: { rkeConfig, certificatesBundle: bundle }, currentState: { rkeConfig, certificatesBundle: bundle } }));
  };

  for (const format of ["zip", "tar.gz", "tar.zst", "raw"] as const) {
    test(`${format}: the etcd database's hash, revision, keys and size are etcdctl snapshot status's; the folder is left as it was`, async () => {
      const name = `db-${format.replace(".", "-")}`;
      const file = format === "raw" ? name : `${name}.${format}`;
      if (format === "zip") await makeZip(join(dirs.backup, file), name, snapshot, fullState());
      else if (format === "raw") copyFileSync(join(dirs.root, "etcdctl.db"), join(dirs.backup, file));
      else await makeTar(join(dirs.backup, file), format, name, snapshot, fullState());
      const before = readdirSync(dirs.backup).sort();
      const ref = etcdctlStatus();
      const r = await verify(name);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(
          `ok +etcd database +hash ${ref.hash}, revision ${ref.revision}, ${ref.totalKey} keys, ${ref.totalSize} bytes \\(as etcdctl snapshot status\\); \\d+ pages of 4096 bytes`,
        ),
      );
      if (format !== "raw") expect(r.stdout).toMatch(/ok +certificates +currentState carries kube-ca with its key, kube-node and 1 etcd certificates \(3 in all\)/);
      expect(r.stdout).not.toContain("BEGIN");
      const json = JSON.parse((await verify(name, ["--output", "json"])).stdout);
      expect(json[0].database.status).toEqual(ref);
      expect(json[0].database.problems).toEqual([]);
      if (format !== "raw") expect(json[0].state).toMatchObject({ ca: true, nodeCertificate: true, etcdCertificates: 1, nodes: 1 });
      expect(readdirSync(dirs.backup).sort()).toEqual(before);
    });
  }

  test("no state file, or one without certificates: a warning, exit 0", async () => {
    await makeTar(join(dirs.backup, "no-state.tar.zst"), "tar.zst", "no-state", snapshot);
    let r = await verify("no-state");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/WARN +state file +no entry etc\/kubernetes\/no-state\.rkestate: a restore takes the cluster state from elsewhere/);
    await makeZip(join(dirs.backup, "no-certs.zip"), "no-certs", snapshot, STATE);
    r = await verify("no-certs");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/WARN +certificates +currentState lacks the CA \(kube-ca with its key\), kube-node: /);
    await makeZip(join(dirs.backup, "not-state.zip"), "not-state", snapshot, Buffer.from("[1,2]"));
    r = await verify("not-state");
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain("state file: /etc/kubernetes/not-state.rkestate: JSON, but not RKE's cluster state (no desiredState or currentState)");
  });

  test("a database damaged under a resealed trailer: the bbolt check names the page, exit 1", async () => {
    const bad = Buffer.from(snapshot);
    const root = Number(bad.readBigUInt64LE(16 + 16));
    bad.writeBigUInt64LE(bad.readBigUInt64LE(16 + 40) + 7n, findKeyBucketValue(bad, root)); // the key bucket's root: past the mark
    const body = bad.subarray(0, bad.byteLength - 32);
    const resealed = Buffer.concat([body, createHash("sha256").update(body).digest()]);
    await makeZip(join(dirs.backup, "bad-db.zip"), "bad-db", resealed, STATE);
    const r = await verify("bad-db");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ok +etcd SHA-256 trailer/);
    expect(lastLine(r.stderr)).toMatch(
      new RegExp(
        `Cannot verify snapshot bad-db: ${join(dirs.backup, "bad-db.zip")}: etcd database: page \\d+: is past the high-water mark \\(the database is pages 0-\\d+\\), referenced from bucket key`,
      ),
    );
    expect(readdirSync(dirs.backup).filter((n) => n.includes("bad-db"))).toEqual(["bad-db.zip"]);
  });
});

/** Offset of the `key` bucket's root page id in the root leaf (its value: root u64, sequence u64). */
function findKeyBucketValue(db: Buffer, root: number): number {
  const page = root * 4096;
  for (let i = 0; i < db.readUInt16LE(page + 10); i++) {
    const e = page + 16 + i * 16;
    const at = e + db.readUInt32LE(e + 4);
    const ksize = db.readUInt32LE(e + 8);
    if (db.toString("latin1", at, at + ksize) === "key") return at + ksize;
  }
  throw new Error("no key bucket");
}
