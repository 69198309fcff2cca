/**
 * The one big-data test of the restore path: a real > 4 GiB entry in the original's Go layout
 * (what Go's archive/zip writes above 4 GiB: a 24-byte data descriptor, 0xffffffff sizes in the
 * central directory with a zip64 extra of all three values). Generated on the fly from a repeated
 * block, so that it deflates fast and stays small on disk (offsets beyond 4 GiB would need a
 * 4 GiB archive: an etcd snapshot of more than ~11 GiB; the forced-ZIP64 layout of
 * zip-reader.test.ts covers those fields).
 * The snapshot entry is read through with its CRC checked (no 4 GiB file written); the state file
 * behind it is extracted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { ZipReader } from "../../src/archive/zip-reader.ts";
import { pumpEntry } from "../../src/archive/zip-reader-inflate.ts";
import { extractEntryToFile } from "../../src/archive/zip-reader-extract.ts";
import { writeGoZip } from "../support/go-zip.ts";

const NOISE = randomBytes(16 << 10);
// 16 KiB of noise repeated: deflate finds long matches (fast, ~85:1), far from the 1100:1 limit.
const BLOCK = Buffer.concat(Array.from({ length: 64 }, () => NOISE));
const BLOCKS = 4 * 1024 + 64; // 4 GiB + 64 MiB
const SIZE = BLOCKS * BLOCK.length;
const state = Buffer.from('{"currentState":{"rkeConfig":{}}}\n');
let dir: string;
let zip: string;

async function* repeated(): AsyncIterable<Uint8Array> {
  for (let i = 0; i < BLOCKS; i++) yield BLOCK;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rke-zip64-"));
  zip = join(dir, "big.zip");
  await writeGoZip(zip, [
    { name: "/backup/big", data: repeated() },
    { name: "/etc/kubernetes/big.rkestate", data: state, mode: 0o100644 },
  ]);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a > 4 GiB archive in the original's layout", () => {
  test("sizes and offsets come from the zip64 fields", async () => {
    const r = await ZipReader.open(zip);
    try {
      const [snap, st] = r.entries;
      expect(snap!.uncompressedSize).toBe(SIZE);
      expect(snap!.compressedSize).toBeLessThan(SIZE);
      expect(st!.name).toBe("/etc/kubernetes/big.rkestate");
    } finally {
      r.close();
    }
  });

  test("the snapshot entry reads through with its CRC-32 checked", async () => {
    const r = await ZipReader.open(zip);
    let crc = 0;
    try {
      const entry = r.find("/backup/big")!;
      const { bytes } = await pumpEntry(r, entry, (c) => {
        crc = crc32(c, crc);
      });
      expect(bytes).toBe(SIZE);
    } finally {
      r.close();
    }
    let want = 0;
    for (let i = 0; i < BLOCKS; i++) want = crc32(BLOCK, want);
    expect(crc >>> 0).toBe(want >>> 0);
  }, 300_000);

  test("the state file behind it extracts", async () => {
    await extractEntryToFile(zip, "/etc/kubernetes/big.rkestate", join(dir, "cluster.rkestate"));
    expect(readFileSync(join(dir, "cluster.rkestate")).equals(state)).toBe(true);
  });
});
