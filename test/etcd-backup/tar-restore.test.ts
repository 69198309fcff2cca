/**
 * The restore path on tar archives (issue 9): extractstatefile and delete find `<name>.tar.gz` /
 * `<name>.tar.zst`, read them by their magic bytes, and treat them as they treat the zip.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ArchiveFormat } from "../../src/archive/format.ts";
import { writeTarFile } from "../archive/tar-helpers.ts";
import { writeGoZip } from "../support/go-zip.ts";
import { makeSnapshotTar } from "../support/snapshot-tar.ts";
import { until } from "../faults/harness.ts";
import { lastLine, runTool, spawnTool } from "../support/bin.ts";
import { makePki } from "../support/pki.ts";
import { snapshotBytes } from "../faults/fixtures.ts";
import { isServing, messages, restoreDirs, startServe, type RestoreDirs } from "./restore-env.ts";

let d: RestoreDirs;
const state = Buffer.from(JSON.stringify({ desiredState: { rkeConfig: { nodes: [] } }, currentState: {} }, null, 2));
const snapshot = snapshotBytes(300_000); // with etcd's trailer, which download checks
const tool = (cmd: string, ...args: string[]) => runTool("rke-etcd-backup", ["etcd-backup", cmd, ...args], { env: d.env });

async function makeTar(file: string, format: Exclude<ArchiveFormat, "zip">, name: string, withState = true): Promise<string> {
  return makeSnapshotTar(join(d.backup, file), format, name, snapshot, withState ? state : undefined);
}

beforeAll(async () => {
  d = restoreDirs("tar-restore");
});
afterAll(() => d.cleanup());

describe("serve's extraction logs its progress (interval shortened)", () => {
  for (const format of ["zip", "tar.zst"] as const) {
    test(`${format}: 'Extracting snapshot' lines with the entry's size as total, before 'Extracted from'`, async () => {
      const name = `prog-${format.replace(".", "-")}`;
      const big = snapshotBytes(24 << 20);
      const path = join(d.backup, `${name}.${format}`);
      if (format === "zip") await writeGoZip(path, [{ name: `/backup/${name}`, data: big }]);
      else await makeSnapshotTar(path, format, name, big);
      const pki = makePki();
      const s = await startServe({ ...d.env, RKE_TOOLS_PROGRESS_INTERVAL: "1ms" }, ["--name", name, "--cacert", pki.ca, "--cert", pki.node.cert, "--key", pki.node.key], {
        hosts: "127.0.0.1",
      });
      if (!isServing(s)) throw new Error(s.stderr);
      const lines = s.stderr().trim().split("\n");
      await s.stop();
      const extracted = lines.findIndex((l) => l.includes('msg="Extracted from '));
      const progress = lines.map((l, i) => [l, i] as const).filter(([l]) => l.includes('msg="Extracting snapshot: '));
      expect(progress.length).toBeGreaterThan(0);
      for (const [l, i] of progress) {
        expect(i).toBeLessThan(extracted);
        // Before the entry's header is read there is no total yet; after it, the entry's size.
        expect(l).toMatch(
          new RegExp(
            `msg="Extracting snapshot: [0-9.]+ (B|KiB|MiB)(, | of 24\\.0 MiB \\(\\d+%\\), )[^"]+" bytes=\\d+ name=${name}( percent=\\d+)? rate="[^"]+"( total=${big.byteLength})?$`,
          ),
        );
      }
      expect(progress.some(([l]) => l.includes(`total=${big.byteLength}`))).toBe(true);
    }, 60_000);
  }
});

describe("extractstatefile on tar archives", () => {
  for (const format of ["tar.gz", "tar.zst"] as const) {
    test(`<name>.${format}: the state file to /tmp/cluster.rkestate, 0600`, async () => {
      const name = `x-${format}`;
      const path = await makeTar(`${name}.${format}`, format, name);
      const r = await tool("extractstatefile", "--name", name);
      expect(r.code).toBe(0);
      expect(messages(r.stderr)).toEqual([
        `Trying to get statefile from backup [${name}]`,
        `Successfully extracted file [etc/kubernetes/${name}.rkestate] from file [${path}] to destination [${d.tmp}/cluster.rkestate]`,
      ]);
      expect(readFileSync(join(d.tmp, "cluster.rkestate")).equals(state)).toBe(true);
      expect(statSync(join(d.tmp, "cluster.rkestate")).mode & 0o777).toBe(0o600);
    });
  }

  test("a truncated tar.gz: one clear line, no state file written", async () => {
    const name = "trunc";
    const path = await makeTar(`${name}.tar.gz`, "tar.gz", name);
    truncateSync(path, statSync(path).size - 40); // the state file is whole; the gzip trailer is not
    const out = join(d.tmp, "cluster.rkestate");
    writeFileSync(out, "previous");
    const r = await tool("extractstatefile", "--name", name);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain(
      `Unable to extract file [etc/kubernetes/${name}.rkestate] from file [${path}] to destination [${out}]: Cannot read archive ${path}: truncated`,
    );
    expect(readFileSync(out, "utf8")).toBe("previous");
    expect(readdirSync(d.tmp)).toEqual(["cluster.rkestate"]);
  });

  test("no state file in the archive: the original's text", async () => {
    const name = "nostate";
    const path = await makeTar(`${name}.tar.zst`, "tar.zst", name, false);
    const r = await tool("extractstatefile", "--name", name);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain(`File [etc/kubernetes/${name}.rkestate] not found in file [${path}]`);
  });

  test("the bytes decide: a tar.zst named .zip is read as tar.zst", async () => {
    const name = "misnamed";
    await makeTar(`${name}.zip`, "tar.zst", name);
    const r = await tool("extractstatefile", "--name", name);
    expect(r.code).toBe(0);
    expect(readFileSync(join(d.tmp, "cluster.rkestate")).equals(state)).toBe(true);
  });
});

describe("delete on tar archives", () => {
  test("removes <name>.tar.gz, <name>.tar.zst and <name>, nothing else", async () => {
    const name = "del";
    await makeTar(`${name}.tar.gz`, "tar.gz", name);
    await makeTar(`${name}.tar.zst`, "tar.zst", name);
    writeFileSync(join(d.backup, name), "raw");
    await makeTar(`${name}2.tar.zst`, "tar.zst", `${name}2`);
    const r = await tool("delete", "--name", name);
    expect(r.code).toBe(0);
    for (const f of [`${name}.tar.gz`, `${name}.tar.zst`, name]) expect(existsSync(join(d.backup, f))).toBe(false);
    expect(existsSync(join(d.backup, `${name}2.tar.zst`))).toBe(true);
    expect(messages(r.stderr).filter((m) => m === "Deleted local backup")).toHaveLength(4); // .zip (absent, as the original), .tar.gz, .tar.zst, raw
  });

  test("--cleanup removes the raw snapshot when a tar archive holds it", async () => {
    const name = "clean";
    await makeTar(`${name}.tar.zst`, "tar.zst", name);
    writeFileSync(join(d.backup, name), "raw");
    const r = await tool("delete", "--name", name, "--cleanup");
    expect(r.code).toBe(0);
    expect(existsSync(join(d.backup, name))).toBe(false);
    expect(existsSync(join(d.backup, `${name}.tar.zst`))).toBe(true);
  });
});

describe("serve and download from a tar.zst", () => {
  test("serve extracts the snapshot from <name>.tar.zst; a peer downloads the same bytes", async () => {
    const name = "served";
    const path = await makeTar(`${name}.tar.zst`, "tar.zst", name);
    const pki = makePki();
    const certs = ["--cacert", pki.ca, "--cert", pki.node.cert, "--key", pki.node.key];
    const s = await startServe(d.env, ["--name", name, ...certs]);
    if (!isServing(s)) throw new Error(`serve did not start: ${s.stderr}`);
    const peer = restoreDirs("tar-peer");
    try {
      expect(messages(s.stderr())[0]).toBe(`Extracted from ${path}`);
      expect(readFileSync(join(d.backup, name)).equals(snapshot)).toBe(true);
      expect(statSync(join(d.backup, name)).mode & 0o777).toBe(0o600);
      const r = await runTool("rke-etcd-backup", ["etcd-backup", "download", "--name", name, "--local-endpoint", "127.0.0.1", ...certs], {
        env: { ...peer.env, RKE_TOOLS_SERVE_PORT: String(s.port) },
      });
      expect(r.code).toBe(0);
      expect(readFileSync(join(peer.backup, name)).equals(snapshot)).toBe(true);
    } finally {
      await s.stop();
      peer.cleanup();
    }
  });
});

describe("SIGTERM during serve's extraction from a tar.zst (issue 19, item 14)", () => {
  test("stops within the entry: exit 1 with 'Operation aborted', nothing under the final name, no temporary file", async () => {
    const name = "sigterm";
    const big = snapshotBytes(96 << 20);
    const path = join(d.backup, `${name}.tar.zst`);
    await writeTarFile(path, "zstd", [{ name: `backup/${name}`, mode: 0o600, data: big }]);
    const pki = makePki();
    const child = spawnTool("rke-etcd-backup", ["etcd-backup", "serve", "--name", name, "--cacert", pki.ca, "--cert", pki.node.cert, "--key", pki.node.key], {
      env: { ...d.env, RKE_TOOLS_SERVE_PORT: "0", RKE_TOOLS_SERVE_HOSTS: "127.0.0.1" },
    });
    // The temporary file appearing is the extraction under way; the old reader then wrote all 96 MiB and served.
    expect(await until(child, () => readdirSync(d.backup).some((n) => n.startsWith(`.${name}.rke-tmp-`)))).toBe(true);
    child.proc.kill("SIGTERM");
    const r = await child.done;
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain("Operation aborted: received SIGTERM");
    expect(
      readdirSync(d.backup)
        .filter((n) => n.includes(name))
        .sort(),
    ).toEqual([`${name}.tar.zst`]);
  });
});
