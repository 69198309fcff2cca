import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lastLine, runTool } from "../support/bin.ts";
import { messages, restoreDirs, type RestoreDirs } from "./restore-env.ts";

const d: RestoreDirs = restoreDirs("delete");
const run = (...args: string[]) => runTool("rke-etcd-backup", ["etcd-backup", "delete", ...args], { env: d.env });
const names = (stderr: string) => [...stderr.matchAll(/msg="Deleted local backup" name=(\S+) runtime=\S+/g)].map((m) => m[1]);
const B = (f: string) => join(d.backup, f);

beforeEach(() => {
  rmSync(d.backup, { recursive: true, force: true });
  mkdirSync(d.backup);
  for (const f of ["d1.zip", "d1", "d10.zip", "other.zip"]) writeFileSync(B(f), f);
});
afterAll(() => d.cleanup());

describe("delete", () => {
  test("removes <name>.zip then <name>, logging each; nothing else", async () => {
    const r = await run("--name", "d1");
    expect(r.code).toBe(0);
    expect(names(r.stderr)).toEqual([B("d1.zip"), B("d1")]);
    expect(readdirSync(d.backup).sort()).toEqual(["d10.zip", "other.zip"]);
  });

  test("files already gone: still logged, exit 0", async () => {
    const r = await run("--name", "gone");
    expect(r.code).toBe(0);
    expect(names(r.stderr)).toEqual([B("gone.zip"), B("gone")]);
  });

  test("--cleanup removes only the uncompressed file when the zip exists", async () => {
    const r = await run("--name", "d1", "--cleanup");
    expect(r.code).toBe(0);
    expect(names(r.stderr)).toEqual([B("d1")]);
    expect(existsSync(B("d1.zip"))).toBe(true);
  });

  test("--cleanup without the zip does nothing, says nothing, and never reaches S3", async () => {
    rmSync(B("d1.zip"));
    for (const extra of [[], ["--s3-backup", "--s3-endpoint", "127.0.0.1:1", "--s3-bucketName", "b"]]) {
      const r = await run("--name", "d1", "--cleanup", ...extra);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      expect(existsSync(B("d1"))).toBe(true);
    }
  });

  test("--cleanup --s3-backup with the zip is local only", async () => {
    const r = await run("--name", "d1", "--cleanup", "--s3-backup");
    expect(r.code).toBe(0);
    expect(names(r.stderr)).toEqual([B("d1")]);
  });

  test("RKE's pki.bundle.tar.gz is never taken for a snapshot archive (#19 item 3)", async () => {
    // What rke-bundle-cert writes: tar czvf /backup/pki.bundle.tar.gz /etc/kubernetes/.tmp/
    mkdirSync(join(d.root, "etc/kubernetes/.tmp"), { recursive: true });
    writeFileSync(join(d.root, "etc/kubernetes/.tmp/kube-ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    execFileSync("tar", ["czf", B("pki.bundle.tar.gz"), "-C", d.root, "etc/kubernetes/.tmp/"]);
    const r = await run("--name", "pki.bundle");
    expect(r.code).toBe(0);
    expect(names(r.stderr)).toEqual([B("pki.bundle.zip"), B("pki.bundle")]);
    expect(r.stderr).toContain(`msg="Kept a file that is not a snapshot archive" name=${B("pki.bundle.tar.gz")} snapshot=pki.bundle`);
    expect(existsSync(B("pki.bundle.tar.gz"))).toBe(true);

    const direct = await run("--name", "pki.bundle.tar.gz");
    expect(direct.code).toBe(1);
    expect(lastLine(direct.stderr)).toContain(`Cannot delete ${B("pki.bundle.tar.gz")}: it is RKE's own file, not a snapshot`);
    expect(existsSync(B("pki.bundle.tar.gz"))).toBe(true);
  });

  test("a directory in the way: a warning, a fatal line naming it, exit 1", async () => {
    rmSync(B("d1"));
    mkdirSync(B("d1"));
    const r = await run("--name", "d1");
    expect(r.code).toBe(1);
    expect(messages(r.stderr)).toEqual(["Deleted local backup", "Delete local backup failed", `Cannot delete ${B("d1")}: is a directory`]);
    expect(lastLine(r.stderr)).toContain("level=fatal");
    expect(existsSync(B("d1.zip"))).toBe(false);
  });

  test("names are validated; nothing is removed", async () => {
    writeFileSync(join(d.root, "outside.zip"), "x");
    for (const [args, text] of [
      [["--name", "../outside"], "contains '/'"],
      [[], "snapshot name is required"],
      [["--name", ".."], "is '..'"],
    ] as const) {
      const r = await run(...args);
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toContain(text);
    }
    expect(existsSync(join(d.root, "outside.zip"))).toBe(true);
    expect(readdirSync(d.backup).length).toBe(4);
  });

  test("--s3-backup (no cleanup) with bad S3 flags: one line naming the flag, before touching anything", async () => {
    const r = await run("--name", "d1", "--s3-backup");
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain("--s3-bucketName is empty");
    expect(existsSync(B("d1.zip"))).toBe(true);
  });
});
