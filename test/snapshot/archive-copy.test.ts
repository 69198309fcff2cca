/**
 * The archive face's copyEntries (src/snapshot/archive.ts), what `convert` is built on: the entries
 * taken, in the source's order, into a new archive of any format under the layout's names, modes
 * kept, whatever the source's format (a zip's entries are pushed by its reader and pulled by the
 * writer: the adapter in zip-archive.ts).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ARCHIVE_FORMATS } from "../../src/archive/format.ts";
import { AtomicFile } from "../../src/fs/atomic.ts";
import { createSnapshotArchive, openSnapshotArchive, type SnapshotArchive } from "../../src/snapshot/archive.ts";
import type { EntryKind } from "../../src/snapshot/entries.ts";
import { chunked } from "../archive/tar-helpers.ts";

let dir: string;
const p = (name: string) => join(dir, name);
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
// Several of the readers' chunks, so that the zip adapter hands on more than one.
const snap = Buffer.concat([randomBytes(700_000), Buffer.alloc(700_000, "etcd")]);
const state = Buffer.from('{"desiredState":{},"currentState":{}}');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rke-archive-copy-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every entry of `archive`: name, mode and SHA-256 of its bytes, in order. */
async function contents(archive: SnapshotArchive): Promise<[string, number, string][]> {
  const out: [string, number, string][] = [];
  await archive.entries(async (e, body) => {
    const h = createHash("sha256");
    for await (const c of body) h.update(c);
    out.push([e.name, e.mode, h.digest("hex")]);
  });
  return out;
}

const byLayout = (archive: SnapshotArchive, name: string) => (entry: string) => (["snapshot", "state"] as EntryKind[]).find((kind) => archive.entryOf(kind, name)?.isWanted(entry));

for (const from of ARCHIVE_FORMATS) {
  for (const to of ARCHIVE_FORMATS) {
    test(`${from} → ${to}: both entries, in the source's order, under the layout's names of the new name, modes kept`, async () => {
      const src = p(`a-${from}-${to}.${from}`);
      const f = await AtomicFile.create(src);
      await createSnapshotArchive(f, from, { name: "a", snapshot: chunked(snap), snapshotSize: () => snap.byteLength, state: { data: state, mode: 0o400 } });
      await f.commit();
      const source = await openSnapshotArchive(src);
      const before = await contents(source);

      const dest = p(`b-${from}-${to}.${to}`);
      const out = await AtomicFile.create(dest);
      const copied = await source.copyEntries(out, to, "b", byLayout(source, "a"));
      await out.commit();
      expect(copied.left).toEqual([]);
      expect(copied.names).toEqual(before.map(([n]) => n));
      expect(copied.taken).toEqual({ snapshot: source.entryOf("snapshot", "a").wanted, state: source.entryOf("state", "a")!.wanted });

      const target = await openSnapshotArchive(dest);
      const names = { snapshot: target.entryOf("snapshot", "b").wanted, state: target.entryOf("state", "b")!.wanted };
      const renamed = before.map(([n, mode, h]): [string, number, string] => [n === copied.taken.snapshot ? names.snapshot : names.state, mode, h]);
      expect(await contents(target)).toEqual(renamed);
      expect(renamed).toContainEqual([names.snapshot, 0o600, sha(snap)]);
      expect(renamed).toContainEqual([names.state, 0o400, sha(state)]);
    });
  }
}

test("an entry not taken is left out, and a zip reader left early stops its pump (no hang, the archive closes)", async () => {
  const src = p("left.zip");
  const f = await AtomicFile.create(src);
  await createSnapshotArchive(f, "zip", { name: "a", snapshot: chunked(snap), snapshotSize: () => snap.byteLength, state: { data: state, mode: 0o400 } });
  await f.commit();
  const source = await openSnapshotArchive(src);
  const out = await AtomicFile.create(p("left-out.tar.gz"));
  const copied = await source.copyEntries(out, "tar.gz", "a", (entry) => (entry === "/backup/a" ? "snapshot" : undefined));
  await out.abort();
  expect(copied.left).toEqual(["/etc/kubernetes/a.rkestate"]);
  const firsts: number[] = [];
  await source.entries(async (_e, body) => {
    for await (const c of body) {
      firsts.push(c.byteLength);
      break;
    }
  });
  expect(firsts).toHaveLength(2);
});
