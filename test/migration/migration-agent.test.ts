/**
 * RKE1 → RKE2: rancher/migration-agent takes an RKE1 snapshot zip apart by the rules in
 * agent-rules.ts. Our zips (save's, and convert's from tar archives) and the original's (Go's
 * archive/zip layout, test/support/go-zip.ts) read by those rules give the snapshot etcd restores
 * (`etcdctl snapshot restore`, the step an RKE2 restore takes) and the cluster state with its
 * certificates; tar archives are refused as the agent refuses them.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lastLine, runTool } from "../support/bin.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { etcdComponents, startEtcd, type EtcdServer } from "../support/etcd.ts";
import { writeGoZip } from "../support/go-zip.ts";
import { makeDirs, type Dirs } from "../etcd-backup/save-helpers.ts";
import { agentRead } from "./agent-rules.ts";

let etcd: EtcdServer;
let dirs: Dirs;
let state: string;
let reference: Buffer;

const tool = (cmd: string, args: string[]) => runTool("rke-etcd-backup", ["etcd-backup", cmd, ...args], { env: dirs.env, timeoutMs: 120_000 });

/** RKE's full cluster state with the test PKI's PEM: what the agent recovers certificates from. */
function fullState(): string {
  const pki = etcd.pki;
  const pair = (c: { cert: string; key: string }) => ({ certificatePEM: pki.read(c.cert), keyPEM: pki.read(c.key) });
  const bundle = { "kube-ca": { certificatePEM: pki.read(pki.ca), keyPEM: pki.read(pki.caKey) }, "kube-node": pair(pki.node), "kube-apiserver": pair(pki.server) };
  const rkeConfig = { nodes: [{ address: "127.0.0.1", role: ["etcd", "controlplane", "worker"] }] };
  return JSON.stringify({ desiredState: { rkeConfig, certificatesBundle: bundle }, currentState: { rkeConfig, certificatesBundle: bundle } }, null, 2);
}

/** The agent's read of `zip`, then what RKE2 does with it: etcd restores the snapshot; the state has the certificates. */
function consume(zip: string, label: string): { files: { path: string; mode: number }[] } {
  const dest = mkdtempSync(join(dirs.root, `agent-${label}-`));
  const r = agentRead(zip, join(dest, "snapshot-1"));
  expect(r.error).toBeUndefined();
  expect(r.snapshot).toEndWith(`/backup/${label}`);
  expect(r.state).toEndWith(`/etc/kubernetes/${label}.rkestate`);
  const restore = Bun.spawnSync(["etcdctl", "snapshot", "restore", r.snapshot!, "--data-dir", join(dest, "restored")], { env: { PATH: process.env.PATH, ETCDCTL_API: "3" } });
  expect(restore.stderr.toString()).not.toContain("Error");
  expect(restore.exitCode).toBe(0);
  const s = JSON.parse(readFileSync(r.state!, "utf8"));
  expect(Object.keys(s.currentState.certificatesBundle).sort()).toEqual(["kube-apiserver", "kube-ca", "kube-node"]);
  expect(s.currentState.certificatesBundle["kube-ca"].keyPEM).toContain("PRIVATE KEY");
  return { files: r.files };
}

describeWith([...etcdComponents, hasCommand("python3", "apt-get install python3")], "RKE1 snapshots as rancher/migration-agent reads them", () => {
  beforeAll(async () => {
    etcd = await startEtcd();
    await etcd.fill(4 * 2 ** 20, 16 * 1024);
    dirs = makeDirs();
    state = fullState();
    const ref = join(dirs.root, "etcdctl.db");
    expect(etcd.etcdctl(["snapshot", "save", ref]).code).toBe(0);
    reference = readFileSync(ref);
  }, 120_000);
  afterAll(async () => {
    await etcd?.stop();
    dirs?.cleanup();
  });

  const withState = (name: string) => {
    writeFileSync(join(dirs.kubernetes, `${name}.rkestate`), state);
    chmodSync(join(dirs.kubernetes, `${name}.rkestate`), 0o600);
  };

  test("save's zip: the agent finds the snapshot and the state, etcd restores it, modes kept", async () => {
    withState("ours");
    const r = await tool("save", ["--once", "--name", "ours", ...etcd.flags]);
    expect(r.code).toBe(0);
    const { files } = consume(join(dirs.backup, "ours.zip"), "ours");
    expect(files).toContainEqual({ path: "backup/ours", mode: 0o600 });
    expect(files).toContainEqual({ path: "etc/kubernetes/ours.rkestate", mode: 0o600 });
  });

  test("the original's zip (Go archive/zip layout): the same", async () => {
    const zip = join(dirs.root, "orig.zip");
    await writeGoZip(zip, [
      { name: "/backup/orig", data: reference, mode: 0o100600 },
      { name: "/etc/kubernetes/orig.rkestate", data: Buffer.from(state), mode: 0o100600 },
    ]);
    const { files } = consume(zip, "orig");
    expect(files).toContainEqual({ path: "backup/orig", mode: 0o600 });
  });

  for (const format of ["tar.zst", "tar.gz"] as const) {
    test(`a ${format} archive is refused by the agent; convert makes the zip it takes, verified, and keeps the tar`, async () => {
      const name = `t-${format.replace(".", "-")}`;
      withState(name);
      expect((await tool("save", ["--once", "--name", name, "--archive-format", format, ...etcd.flags])).code).toBe(0);
      const tar = join(dirs.backup, `${name}.${format}`);
      expect(agentRead(tar, join(dirs.root, `agent-${name}-tar`)).error).toStartWith("zip: not a valid zip file");
      const c = await tool("convert", ["--name", name]);
      expect(c.code).toBe(0);
      expect(c.stdout).toContain(`${join(dirs.backup, `${name}.zip`)}: verified`);
      expect(c.stdout).toMatch(/ok +etcd database +hash \d+/);
      expect(c.stderr).toContain(`msg="Converted snapshot"`);
      consume(join(dirs.backup, `${name}.zip`), name);
      const again = await tool("convert", ["--name", name]);
      expect(again.code).toBe(1);
      expect(lastLine(again.stderr)).toContain(`Cannot convert snapshot ${name}: ${join(dirs.backup, `${name}.zip`)} already exists`);
    });
  }

  test("convert refuses what it cannot rewrite, and writes nothing", async () => {
    let r = await tool("convert", ["--name", "absent"]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain(`Cannot convert snapshot absent: neither ${join(dirs.backup, "absent.tar.zst")} nor ${join(dirs.backup, "absent.tar.gz")} exists`);
    // A tar whose snapshot is damaged under a sound archive: the written zip fails its check and goes.
    withState("bad");
    expect((await tool("save", ["--once", "--name", "bad", "--archive-format", "tar.gz", ...etcd.flags])).code).toBe(0);
    const tar = join(dirs.backup, "bad.tar.gz");
    const { gunzipSync, gzipSync } = await import("node:zlib");
    const raw = gunzipSync(readFileSync(tar));
    const at = raw.indexOf(Buffer.from("/registry/configmaps/"));
    raw[at] = 0x21; // a key byte in a leaf: the trailer no longer matches
    writeFileSync(tar, gzipSync(raw));
    r = await tool("convert", ["--name", "bad"]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain(`Cannot convert snapshot bad: the zip written from ${tar} does not verify: etcd SHA-256 trailer: trailer `);
    const left = (await import("node:fs")).readdirSync(dirs.backup).filter((n) => n.startsWith("bad") || n.startsWith(".bad"));
    expect(left).toEqual(["bad.tar.gz"]);
  });
});
