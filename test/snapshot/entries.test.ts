/**
 * The one rule for which entry answers for a snapshot (src/snapshot/entries.ts), and every reader
 * following it: extraction (serve, download, extractstatefile) and verify/list, zip and tar alike.
 * #19 item 12: verify/list and serve/extractstatefile used to disagree on renamed archives.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ArchiveFormat } from "../../src/archive/format.ts";
import { extractEntryToFile } from "../../src/archive/zip-reader-extract.ts";
import { ZipWriter } from "../../src/archive/zip-writer.ts";
import { ErrorCode, isRkeToolsError } from "../../src/errors.ts";
import { AtomicFile } from "../../src/fs/atomic.ts";
import { chooseEntry, entryChoice } from "../../src/snapshot/entries.ts";
import { createSnapshotArchive, openSnapshotArchive } from "../../src/snapshot/archive.ts";
import { carriesState } from "../../src/snapshot/stores/local-list.ts";
import { verifySnapshotFile } from "../../src/tools/etcd-backup/inspect/verify.ts";
import { writeGoZip } from "../support/go-zip.ts";

let dir: string;
const p = (name: string) => join(dir, name);
// Bytes that pass etcd's own check: data, then the SHA-256 of the data.
const body = Buffer.concat([randomBytes(100_000), Buffer.alloc(100_000, "etcd")]);
const snap = Buffer.concat([body, createHash("sha256").update(body).digest()]);
const state = Buffer.from('{"desiredState":{},"currentState":{}}');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rke-entries-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectArchiveError(promise: Promise<unknown>, text: RegExp) {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isRkeToolsError(e, ErrorCode.Archive)).toBe(true);
  expect((e as Error).message).toMatch(text);
}

/** An archive of snapshot `inside`, under the file name of another. */
async function archive(file: string, format: ArchiveFormat, inside: string): Promise<string> {
  const f = await AtomicFile.create(p(file));
  if (format === "zip") {
    const zip = new ZipWriter(f);
    await zip.add(`/backup/${inside}`, 0o600, snap);
    await zip.add(`/etc/kubernetes/${inside}.rkestate`, 0o400, state);
    await zip.finish();
  } else {
    await createSnapshotArchive(f, format, {
      name: inside,
      snapshot: (async function* () {
        yield snap;
      })(),
      snapshotSize: () => snap.byteLength,
      state: { data: state, mode: 0o400 },
    });
  }
  await f.commit();
  return p(file);
}

describe("the rule", () => {
  const names = ["/backup/old", "/etc/kubernetes/old.rkestate"];
  test("exact name first, then without a leading / or ./, then the only entry of its kind", () => {
    expect(chooseEntry(["/backup/x", "/backup/old"], "snapshot", "x", "zip")).toEqual({ name: "/backup/x", exact: true });
    expect(chooseEntry(["./backup/x", "/backup/old"], "snapshot", "x", "tar.gz")).toEqual({ name: "./backup/x", exact: false });
    expect(chooseEntry(["backup/x"], "snapshot", "x", "zip")).toEqual({ name: "backup/x", exact: false });
    expect(chooseEntry(names, "snapshot", "new", "zip")).toEqual({ name: "/backup/old", exact: false });
    expect(chooseEntry(names, "state", "new", "zip")).toEqual({ name: "/etc/kubernetes/old.rkestate", exact: false });
    expect(chooseEntry(["backup/old", "etc/kubernetes/old.rkestate"], "state", "new", "tar.zst")).toEqual({ name: "etc/kubernetes/old.rkestate", exact: false });
  });

  test("two candidates: nothing is guessed; names that escape or nest never stand in", () => {
    expect(chooseEntry(["/backup/a", "/backup/b"], "snapshot", "x", "zip")).toBeUndefined();
    for (const bad of ["/backup/../etc/passwd", "/backup/..", "/backup/a/b", "/backup/.a.zip.rke-tmp-1"]) {
      expect(chooseEntry([bad], "snapshot", "x", "zip")).toBeUndefined();
    }
    expect(chooseEntry(["/etc/kubernetes/a.json"], "state", "x", "zip")).toBeUndefined();
  });
});

describe("the zip reader with the rule (moved from test/archive/zip-reader.test.ts)", () => {
  test("a renamed archive: its only /backup/* entry stands in", async () => {
    await writeGoZip(p("renamed.zip"), [
      { name: "/backup/old", data: snap },
      { name: "/etc/kubernetes/old.rkestate", data: state },
    ]);
    const r = await extractEntryToFile(p("renamed.zip"), entryChoice("snapshot", "new", "zip"), p("new"));
    expect(r).toMatchObject({ exact: false, bytes: snap.length });
    expect(r.entry.name).toBe("/backup/old");
    expect(readFileSync(p("new")).equals(snap)).toBe(true);
    const s = await extractEntryToFile(p("renamed.zip"), entryChoice("state", "new", "zip"), p("new.rkestate"));
    expect(s.entry.name).toBe("/etc/kubernetes/old.rkestate");
  });

  test("two candidates: nothing is guessed", async () => {
    await writeGoZip(p("two.zip"), [
      { name: "/backup/a", data: snap },
      { name: "/backup/b", data: snap },
    ]);
    await expectArchiveError(extractEntryToFile(p("two.zip"), entryChoice("snapshot", "x", "zip"), p("x")), /not found in file/);
  });

  test("entries whose names escape (/, ..) never stand in", async () => {
    await writeGoZip(p("escape.zip"), [{ name: "/backup/../etc/passwd", data: snap }]);
    await expectArchiveError(extractEntryToFile(p("escape.zip"), entryChoice("snapshot", "snap1", "zip"), p("snap1-esc")), /not found/);
    await writeGoZip(p("dotdot.zip"), [{ name: "/backup/..", data: snap }]);
    await expectArchiveError(extractEntryToFile(p("dotdot.zip"), entryChoice("snapshot", "snap1", "zip"), p("snap1-dd")), /not found/);
    await writeGoZip(p("nested.zip"), [{ name: "/backup/a/b", data: snap }]);
    await expectArchiveError(extractEntryToFile(p("nested.zip"), entryChoice("snapshot", "snap1", "zip"), p("snap1-n")), /not found/);
  });
});

describe("every reader agrees on a renamed archive (#19 item 12)", () => {
  for (const format of ["zip", "tar.gz", "tar.zst"] as const) {
    test(`${format}: extract, verify and list all take the entry that stands in`, async () => {
      const path = await archive(`new.${format}`, format, "old");
      const out = await (await openSnapshotArchive(path)).extract("snapshot", "new", p(`new-${format}.db`));
      expect(out.entry).toMatch(/^\/?backup\/old$/);
      expect(readFileSync(p(`new-${format}.db`)).equals(snap)).toBe(true);
      const st = await (await openSnapshotArchive(path)).extract("state", "new", p(`new-${format}.rkestate`));
      expect(st.entry).toMatch(/^\/?etc\/kubernetes\/old\.rkestate$/);

      const report = await verifySnapshotFile(path, "new");
      const check = (name: string) => report.checks.find((c) => c.check === name);
      expect(check("snapshot entry")).toMatchObject({ status: "ok" });
      expect(check("snapshot entry")!.detail).toMatch(/backup\/old, 200032 bytes/);
      expect(check("etcd SHA-256 trailer")).toMatchObject({ status: "ok" });
      expect(check("state file")).toMatchObject({ status: "ok" });
      expect(check("integrity")!.detail).not.toContain("other entries");

      expect(await carriesState(path, "new", format)).toBe(true);
    });

    test(`${format}: an archive of the wanted name reads as before`, async () => {
      const path = await archive(`same.${format}`, format, "same");
      expect((await (await openSnapshotArchive(path)).extract("snapshot", "same", p(`same-${format}.db`))).entry).toMatch(/^\/?backup\/same$/);
      const report = await verifySnapshotFile(path, "same");
      expect(report.checks.find((c) => c.check === "snapshot entry")).toMatchObject({ status: "ok" });
      expect(await carriesState(path, "same", format)).toBe(true);
    });
  }

  test("no temporary files are left", () => {
    expect(readdirSync(dir).filter((n) => n.includes(".rke-tmp-"))).toEqual([]);
  });
});
