import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { lastLine, runTool } from "../support/bin.ts";
import { writeGoZip } from "../support/go-zip.ts";
import { messages, restoreDirs, type RestoreDirs } from "./restore-env.ts";

let d: RestoreDirs;
const state = Buffer.from(JSON.stringify({ desiredState: { rkeConfig: { nodes: [] } }, currentState: {} }, null, 2));
const run = (...args: string[]) => runTool("rke-etcd-backup", ["etcd-backup", "extractstatefile", ...args], { env: d.env });

beforeAll(async () => {
  d = restoreDirs("extract");
  await writeGoZip(join(d.backup, "snap1.zip"), [
    { name: "/backup/snap1", data: Buffer.alloc(100_000, "bbolt") },
    { name: "/etc/kubernetes/snap1.rkestate", data: state, mode: 0o100644 },
  ]);
  await writeGoZip(join(d.backup, "nostate.zip"), [{ name: "/backup/nostate", data: Buffer.alloc(1000, 1) }]);
  writeFileSync(join(d.backup, "corrupt.zip"), "PK\x03\x04 not really a zip");
  writeFileSync(join(d.backup, "rawonly"), "raw");
});
afterAll(() => d.cleanup());

describe("extractstatefile", () => {
  test("writes the state file to /tmp/cluster.rkestate (0600), with the original's lines", async () => {
    writeFileSync(join(d.tmp, "cluster.rkestate"), "stale, world-readable");
    chmodSync(join(d.tmp, "cluster.rkestate"), 0o644);
    const before = readdirSync(d.backup).sort();
    const r = await run("--name", "snap1", "--creation", "12h", "--retention", "72h", "--once");
    expect(r.code).toBe(0);
    expect(messages(r.stderr)).toEqual([
      "Trying to get statefile from backup [snap1]",
      `Successfully extracted file [/etc/kubernetes/snap1.rkestate] from file [${d.backup}/snap1.zip] to destination [${d.tmp}/cluster.rkestate]`,
    ]);
    expect(readFileSync(join(d.tmp, "cluster.rkestate")).equals(state)).toBe(true);
    expect(statSync(join(d.tmp, "cluster.rkestate")).mode & 0o777).toBe(0o600);
    expect(readdirSync(d.backup).sort()).toEqual(before);
    expect(readdirSync(d.kubernetes)).toEqual([]);
  });

  test("only a raw snapshot: the original's stat error", async () => {
    const r = await run("--name", "rawonly");
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain(`level=fatal msg="stat ${d.backup}/rawonly.zip: no such file or directory"`);
  });

  test("an archive without a state file", async () => {
    const r = await run("--name", "nostate");
    expect(r.code).toBe(1);
    const z = `${d.backup}/nostate.zip`;
    expect(messages(lastLine(r.stderr))[0]).toBe(
      `Unable to extract file [/etc/kubernetes/nostate.rkestate] from file [${z}] to destination [${d.tmp}/cluster.rkestate]: File [/etc/kubernetes/nostate.rkestate] not found in file [${z}]`,
    );
  });

  test("a corrupt archive", async () => {
    const r = await run("--name", "corrupt");
    expect(r.code).toBe(1);
    expect(messages(lastLine(r.stderr))[0]).toStartWith(
      `Unable to extract file [/etc/kubernetes/corrupt.rkestate] from file [${d.backup}/corrupt.zip] to destination [${d.tmp}/cluster.rkestate]: zip: not a valid zip file`,
    );
  });

  test("a FIFO at <name>.zip: refused at once, nothing written (issue 19, item 14)", async () => {
    execFileSync("mkfifo", [join(d.backup, "fifo.zip")]);
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "extractstatefile", "--name", "fifo"], { env: d.env, timeoutMs: 20_000 }); // the old code blocked in open(2) forever
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain(
      `from file [${d.backup}/fifo.zip] to destination [${d.tmp}/cluster.rkestate]: Cannot read archive ${d.backup}/fifo.zip: not a regular file (a FIFO)`,
    );
    expect(readdirSync(d.tmp).filter((n) => n.includes(".rke-tmp-"))).toEqual([]);
  });

  test("names are validated before anything is read", async () => {
    const noName = await run();
    expect(noName.code).toBe(1);
    expect(lastLine(noName.stderr)).toContain('msg="snapshot name is required"');
    const slash = await run("--name", "../snap1");
    expect(slash.code).toBe(1);
    expect(lastLine(slash.stderr)).toContain("contains '/'");
  });

  test("--s3-backup with bad S3 flags: one line naming the flag, nothing extracted", async () => {
    const r = await run("--name", "snap1", "--s3-backup");
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain("--s3-bucketName is empty");
  });
});
