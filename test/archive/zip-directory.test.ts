/** A zip's entries read by range only (as `list --s3-backup` does with ranged GETs): how many reads, which bytes. */
import { afterAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readZipEntriesByRange, type RangeRead } from "../../src/archive/zip-directory.ts";
import { writeGoZip } from "../support/go-zip.ts";

const dir = mkdtempSync(join(tmpdir(), "zip-dir-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Range reads over a file, recorded. */
function fileRanges(path: string): { read: RangeRead; reads: [number, number][]; size: number } {
  const fd = openSync(path, "r");
  const reads: [number, number][] = [];
  const read: RangeRead = async (start, end) => {
    reads.push([start, end]);
    const b = Buffer.alloc(end - start);
    readSync(fd, b, 0, b.length, start);
    return b;
  };
  return { read, reads, size: statSync(path).size };
}

const entries = (data: Uint8Array) => [
  { name: "/backup/snap", data },
  { name: "/etc/kubernetes/snap.rkestate", data: Buffer.from("{}"), mode: 0o100400 },
];

describe("readZipEntriesByRange", () => {
  test("a snapshot zip: one read of the last 64 KiB + 42 bytes gives every entry", async () => {
    const path = join(dir, "a.zip");
    await writeGoZip(path, entries(randomBytes(300_000)));
    const r = fileRanges(path);
    const got = await readZipEntriesByRange(r.read, r.size);
    expect(got.map((e) => [e.name, e.uncompressedSize, e.mode])).toEqual([
      ["/backup/snap", 300_000, 0o600],
      ["/etc/kubernetes/snap.rkestate", 2, 0o400],
    ]);
    expect(r.reads).toEqual([[r.size - 65_577, r.size]]);
  });

  test("ZIP64 end records and entries (Go's layout above 4 GiB) are followed", async () => {
    const path = join(dir, "z64.zip");
    await writeGoZip(path, entries(randomBytes(100_000)), { zip64: true });
    expect(readFileSync(path).includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true); // zip64 end record present
    const r = fileRanges(path);
    const got = await readZipEntriesByRange(r.read, r.size);
    expect(got.map((e) => [e.name, e.uncompressedSize])).toEqual([
      ["/backup/snap", 100_000],
      ["/etc/kubernetes/snap.rkestate", 2],
    ]);
    expect(r.reads).toHaveLength(1);
  });

  test("a long archive comment pushes the directory out of the first window: a second read fetches it", async () => {
    const path = join(dir, "comment.zip");
    await writeGoZip(path, entries(randomBytes(200_000)));
    const comment = Buffer.alloc(65_500, 0x41);
    const fd = openSync(path, "r+");
    const len = Buffer.alloc(2);
    len.writeUInt16LE(comment.length);
    // The end record's comment length is its last two bytes (no comment yet).
    const { size } = statSync(path);
    writeSync(fd, len, 0, 2, size - 2);
    closeSync(fd);
    appendFileSync(path, comment);
    const r = fileRanges(path);
    const got = await readZipEntriesByRange(r.read, r.size);
    expect(got.map((e) => e.name)).toEqual(["/backup/snap", "/etc/kubernetes/snap.rkestate"]);
    expect(r.reads).toHaveLength(2);
  });

  test("small objects, no zip at all, and a truncated zip: clear failures, bounded reads", async () => {
    const tiny = join(dir, "tiny.zip");
    await writeGoZip(tiny, entries(Buffer.from("x")));
    const t = fileRanges(tiny);
    expect((await readZipEntriesByRange(t.read, t.size)).map((e) => e.name)).toHaveLength(2);
    expect(t.reads).toEqual([[0, t.size]]);

    const junk = join(dir, "junk.zip");
    writeFileSync(junk, randomBytes(100_000));
    const j = fileRanges(junk);
    await expect(readZipEntriesByRange(j.read, j.size)).rejects.toThrow(/End of central directory record signature not found/);

    const cut = join(dir, "cut.zip");
    writeFileSync(cut, readFileSync(join(dir, "a.zip")).subarray(0, 200_000));
    const c = fileRanges(cut);
    await expect(readZipEntriesByRange(c.read, c.size)).rejects.toThrow();
    expect(c.reads.length).toBeLessThanOrEqual(8);
  });

  test("a directory of 2,000 entries is refused by its end record's count, in one read (issue 19, item 11)", async () => {
    const path = join(dir, "many.zip");
    await writeGoZip(
      path,
      Array.from({ length: 2_000 }, (_, i) => ({ name: `/backup/d${i}/`, data: new Uint8Array(0) })),
    );
    const r = fileRanges(path);
    await expect(readZipEntriesByRange(r.read, r.size, { label: "bucket/many.zip" })).rejects.toThrow(
      "Cannot read archive bucket/many.zip: it holds 2000 entries; a snapshot archive holds the snapshot and at most the state file",
    );
    expect(r.reads).toHaveLength(1);
  });
});
