/**
 * Disk full: a small tmpfs (root only) as the target folder of a peer download, an S3 download,
 * serve's extraction and extractstatefile. Each must end with one clear last line naming the
 * file and the lack of space, exit non-zero, and keep nothing partial: no final name, no
 * temporary file. (A full /backup during `save` is tested in test/etcd-backup/save-once.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zstdCompressSync } from "node:zlib";
import { ustarHeader } from "../archive/tar-helpers.ts";
import { lastLine, runTool, spawnTool, type SpawnedTool } from "../support/bin.ts";
import { describeWith, hasCommand, isRoot } from "../support/components.ts";
import { makePki, type Pki } from "../support/pki.ts";
import { createBucket, gateway, putObject, removeBucket, s3Gateway } from "../support/s3.ts";
import { declareSecret } from "../support/secrets.ts";
import { snapshotBytes, stateJson, writeZip } from "./fixtures.ts";
import { until } from "./harness.ts";

setDefaultTimeout(60_000);

const name = "c-abc12-rs-full_2026-11-21T04:51:14Z";
const b64 = (s: string) => Buffer.from(s).toString("base64");
/** The last line names the file (by its folder) and says that space ran out. */
const NO_SPACE = /no space left on device|only \d+ are free/;

describeWith([isRoot, hasCommand("python3", "apt-get install python3"), hasCommand("mount", "util-linux")], "disk full", () => {
  let root: string;
  let pki: Pki;
  let certs: string[];
  let snap: Buffer;
  let zip: string;
  const mounts: string[] = [];

  /** A fresh folder with a tmpfs of `size` on it. */
  function small(label: string, size: string): string {
    const dir = join(root, label);
    mkdirSync(dir, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", dir]);
    mounts.push(dir);
    return dir;
  }
  function env(dirs: { backup: string; tmp?: string }): Record<string, string | undefined> {
    return {
      PATH: process.env.PATH,
      RKE_TOOLS_BACKUP_DIR: dirs.backup,
      RKE_TOOLS_KUBERNETES_DIR: join(root, "kubernetes"),
      RKE_TOOLS_TMP_DIR: dirs.tmp ?? join(root, "tmp"),
      RKE_TOOLS_SERVE_HOSTS: "127.0.0.1",
      RKE_TOOLS_SERVE_PORT: "0",
    };
  }

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "rke-faults-full-"));
    for (const d of ["kubernetes", "tmp", "src"]) mkdirSync(join(root, d));
    pki = makePki();
    certs = ["--cacert", pki.ca, "--cert", pki.node.cert, "--key", pki.node.key];
    snap = snapshotBytes(24 << 20);
    zip = join(root, "src", `${name}.zip`);
    writeZip(zip, [
      [`/backup/${name}`, snap],
      [`/etc/kubernetes/${name}.rkestate`, stateJson(1 << 20)],
    ]);
  }, 60_000);
  afterEach(() => {
    for (const m of mounts.splice(0)) execFileSync("umount", [m]);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("serve's extraction into a /backup too small for the snapshot", async () => {
    const backup = small("serve", "20m"); // room for the zip (~13 MB), not for the 24 MB snapshot
    copyFileSync(zip, join(backup, `${name}.zip`));
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "serve", "--name", name, ...certs], { env: env({ backup }) });
    expect(r.code).not.toBe(0);
    expect(lastLine(r.stderr)).toMatch(/level=fatal msg=/);
    expect(lastLine(r.stderr)).toContain(join(backup, name));
    expect(lastLine(r.stderr)).toMatch(NO_SPACE);
    expect(lastLine(r.stderr)).not.toContain(".rke-tmp-"); // the final name, not our temporary one (issue 19.21)
    expect(readdirSync(backup)).toEqual([`${name}.zip`]);
  });

  test("verify of a zip in a /backup with no room for its database copy: the database unchecked (a warning), the rest checked, nothing left", async () => {
    const backup = small("verify", "20m");
    copyFileSync(zip, join(backup, `${name}.zip`));
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "verify", "--name", name], { env: env({ backup }) });
    expect(r.stdout).toMatch(/ok +etcd SHA-256 trailer +matches/);
    expect(r.stdout).toMatch(
      /WARN +etcd database +not checked: cannot write its temporary copy: no space left on device \(the check needs room for the uncompressed snapshot beside the archive\)/,
    );
    expect(r.code).toBe(0);
    expect(readdirSync(backup)).toEqual([`${name}.zip`]);
  });

  test("serve from a tar.zst whose snapshot declares 1 GiB, into a 20 MiB /backup: refused before writing (issue 19, item 11)", async () => {
    const backup = small("serve-tar", "20m");
    // 1.7 MB of such a tar.zst once declared 48 GiB and filled the disk; the header is enough to refuse.
    const body = Buffer.concat([ustarHeader(`backup/${name}`, 2 ** 30), Buffer.alloc(4 << 20)]);
    writeFileSync(join(backup, `${name}.tar.zst`), zstdCompressSync(body));
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "serve", "--name", name, ...certs], { env: env({ backup }) });
    expect(r.code).not.toBe(0);
    expect(lastLine(r.stderr)).toMatch(new RegExp(`level=fatal msg="Cannot write ${join(backup, name)}: it needs 1073741824 bytes and only \\d+ are free"`));
    expect(readdirSync(backup)).toEqual([`${name}.tar.zst`]);
  });

  test("extractstatefile into a /tmp too small for the state file", async () => {
    const backup = join(root, "state-backup");
    mkdirSync(backup);
    copyFileSync(zip, join(backup, `${name}.zip`));
    const tmp = small("state-tmp", "256k");
    writeFileSync(join(tmp, "cluster.rkestate"), '{"older":true}'); // a complete older one stays as it is
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "extractstatefile", "--name", name], { env: env({ backup, tmp }) });
    expect(r.code).not.toBe(0);
    expect(lastLine(r.stderr)).toContain(join(tmp, "cluster.rkestate"));
    expect(lastLine(r.stderr)).toMatch(NO_SPACE);
    expect(lastLine(r.stderr)).not.toContain(".rke-tmp-"); // the final name, not our temporary one (issue 19.21)
    expect(readdirSync(tmp)).toEqual(["cluster.rkestate"]);
    expect(readFileSync(join(tmp, "cluster.rkestate"), "utf8")).toBe('{"older":true}');
  });

  describe("peer download", () => {
    let server: SpawnedTool;
    let port: number;
    beforeAll(async () => {
      const src = join(root, "peer-src");
      mkdirSync(src);
      writeFileSync(join(src, name), snap);
      server = spawnTool("rke-etcd-backup", ["etcd-backup", "serve", "--name", name, ...certs], { env: env({ backup: src }) });
      if (!(await until(server, () => /on port \d+/.test(server.stderr())))) throw new Error(`serve: ${server.stderr()}`);
      port = Number(/on port (\d+)/.exec(server.stderr())![1]);
    });
    afterAll(async () => {
      server?.proc.kill("SIGTERM");
      await server?.done;
    });

    test("into a /backup too small for the snapshot", async () => {
      const backup = small("peer", "4m");
      const r = await runTool("rke-etcd-backup", ["etcd-backup", "download", "--name", name, "--local-endpoint", "127.0.0.1", ...certs], {
        env: { ...env({ backup }), RKE_TOOLS_SERVE_PORT: String(port) },
      });
      expect(r.code).not.toBe(0);
      expect(lastLine(r.stderr)).toContain(backup);
      expect(lastLine(r.stderr)).toMatch(NO_SPACE);
      expect(lastLine(r.stderr)).not.toContain(".rke-tmp-"); // the final name, not our temporary one (issue 19.21)
      expect(readdirSync(backup)).toEqual([]);
    });
  });

  describeWith([s3Gateway], "S3 download", () => {
    let bucket: string;
    beforeAll(() => {
      declareSecret(gateway().accessKey, gateway().secretKey);
      bucket = createBucket();
      putObject(bucket, `${name}.zip`, zip, [`x-amz-meta-sha256: ${createHash("sha256").update(readFileSync(zip)).digest("hex")}`]);
    });
    afterAll(() => removeBucket(bucket), 120_000);

    test("into a /backup too small for the archive (extractstatefile --s3-backup)", async () => {
      const backup = small("s3", "4m");
      const args = [
        "etcd-backup",
        "extractstatefile",
        "--name",
        name,
        "--s3-backup",
        `--s3-endpoint=${gateway().endpoint}`,
        `--s3-bucketName=${bucket}`,
        "--s3-region=",
        `--s3-endpoint-ca=${b64(gateway().caPem)}`,
      ];
      const r = await runTool("rke-etcd-backup", args, { env: { ...env({ backup }), S3_ACCESS_KEY: b64(gateway().accessKey), S3_SECRET_KEY: b64(gateway().secretKey) } });
      expect(r.code).not.toBe(0);
      expect(lastLine(r.stderr)).toContain(backup);
      expect(lastLine(r.stderr)).toMatch(NO_SPACE);
      expect(lastLine(r.stderr)).not.toContain(".rke-tmp-"); // the final name, not our temporary one (issue 19.21)
      expect(readdirSync(backup)).toEqual([]);
    });
  });
});
