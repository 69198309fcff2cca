/**
 * An entry above 8 GiB (the ustar size field's limit) without 8 GiB on disk: a generated stream of
 * zeros goes through the writer into a counting sink that keeps only the first blocks; a sparse
 * file rebuilt from them is what GNU tar lists, and the same bytes, generated again, are what our
 * reader walks through.
 */
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createReadStream, statSync, truncateSync, writeFileSync } from "node:fs";
import { AtomicFile } from "../../src/fs/atomic.ts";
import { join } from "node:path";
import { readTar } from "../../src/archive/tar-reader.ts";
import { TarWriter, USTAR_MAX_SIZE } from "../../src/archive/tar-writer.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { tempDir } from "./tar-helpers.ts";

const SIZE = 8 * 2 ** 30 + 12_345;
const ZEROS = new Uint8Array(1024 * 1024);
const HEAD = 4096;

async function* zeros(n: number): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < n; o += ZEROS.byteLength) yield ZEROS.subarray(0, Math.min(ZEROS.byteLength, n - o));
}

class HeadSink {
  total = 0;
  head = new Uint8Array(HEAD);
  nonZeroAfterHead = 0;
  async write(chunk: Uint8Array): Promise<void> {
    const keep = Math.max(0, Math.min(chunk.byteLength, HEAD - this.total));
    if (keep > 0) this.head.set(chunk.subarray(0, keep), this.total);
    for (let o = keep; o < chunk.byteLength; o += ZEROS.byteLength) {
      const part = chunk.subarray(o, Math.min(chunk.byteLength, o + ZEROS.byteLength));
      if (!Buffer.from(part.buffer, part.byteOffset, part.byteLength).equals(ZEROS.subarray(0, part.byteLength))) this.nonZeroAfterHead++;
    }
    this.total += chunk.byteLength;
  }
}

const ascii = (b: Uint8Array) => Buffer.from(b).toString("latin1");
const paddedSize = (n: number) => Math.ceil(n / 512) * 512;

/** PAX records `<len> key=value\n`, each length checked. */
function paxRecords(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let rest = body; rest.length > 0; ) {
    const len = Number.parseInt(rest, 10);
    const rec = rest.slice(0, len);
    expect(rec.endsWith("\n")).toBe(true);
    const kv = rec.slice(rec.indexOf(" ") + 1, -1);
    out[kv.slice(0, kv.indexOf("="))] = kv.slice(kv.indexOf("=") + 1);
    rest = rest.slice(len);
  }
  return out;
}

describeWith([hasCommand("tar", "apt-get install tar")], "tar entry above 8 GiB", () => {
  test("PAX size record and base-256 ustar size, read back by GNU tar and by our reader", async () => {
    expect(SIZE).toBeGreaterThan(USTAR_MAX_SIZE);
    const sink = new HeadSink();
    const tar = new TarWriter(sink, { compression: "none" });
    await tar.add("backup/big", 0o600, zeros(SIZE), { size: () => SIZE });
    const total = await tar.finish();

    // PAX header block, its records, then the entry's own ustar header, the data, two end blocks.
    const h = sink.head;
    expect(String.fromCharCode(h[156]!)).toBe("x"); // PAX extended header
    const paxLen = Number.parseInt(ascii(h.subarray(124, 135)), 8);
    expect(paxRecords(ascii(h.subarray(512, 512 + paxLen)))).toEqual({ path: "backup/big", size: String(SIZE) });
    expect(total).toBe(512 + paddedSize(paxLen) + 512 + paddedSize(SIZE) + 1024);
    expect(sink.total).toBe(total);
    expect(sink.nonZeroAfterHead).toBe(0);
    const entry = h.subarray(512 + paddedSize(paxLen), 512 + paddedSize(paxLen) + 512);
    expect(entry[124]).toBe(0x80); // GNU base-256 size for readers without PAX
    let base256 = 0;
    for (let i = 125; i < 136; i++) base256 = base256 * 256 + entry[i]!;
    expect(base256).toBe(SIZE);
    expect(ascii(entry.subarray(257, 263))).toBe("ustar\0");

    using t = tempDir("tar-big");
    const sparse = join(t.dir, "big.tar");
    const headEnd = 512 + paddedSize(paxLen) + 512;
    writeFileSync(sparse, h.subarray(0, headEnd));
    truncateSync(sparse, total); // the rest is zeros: data, padding, end blocks
    const list = spawnSync("tar", ["-tvf", sparse], { encoding: "utf8" });
    expect(list.stderr).toBe("");
    expect(list.stdout).toMatch(new RegExp(`^-rw------- 0/0 +${SIZE} 1970-01-01 00:00 backup/big\\n$`));

    async function* again() {
      yield h.subarray(0, headEnd);
      yield* zeros(total - headEnd);
    }
    let bodyBytes = 0;
    const headers = await readTar(again(), { compression: "none", label: "generated" }, async (_h, body) => {
      for await (const c of body) bodyBytes += c.byteLength;
    });
    expect(headers.map((x) => [x.name, x.size])).toEqual([["backup/big", SIZE]]);
    expect(bodyBytes).toBe(SIZE);
  }, 120_000);
});

describeWith([hasCommand("tar", "apt-get install tar"), hasCommand("zstd", "apt-get install zstd")], "tar.zst entry above 8 GiB", () => {
  test("written whole (zeros compress to little), listed by GNU tar, read back whole by our reader", async () => {
    using t = tempDir("tar-big");
    const path = join(t.dir, "big.tar.zst");
    const file = await AtomicFile.create(path);
    const tar = new TarWriter(file, { compression: "zstd" });
    await tar.add("backup/big", 0o600, zeros(SIZE), { size: () => SIZE });
    await tar.finish();
    await file.commit();
    expect(statSync(path).size).toBeLessThan(16 * 1024 * 1024);
    const list = spawnSync("tar", ["--zstd", "-tvf", path], { encoding: "utf8" });
    expect(list.stderr).toBe("");
    expect(list.stdout).toMatch(new RegExp(`^-rw------- 0/0 +${SIZE} 1970-01-01 00:00 backup/big\\n$`));
    let bodyBytes = 0;
    const headers = await readTar(createReadStream(path), { compression: "zstd", label: path }, async (_h, body) => {
      for await (const c of body) bodyBytes += c.byteLength;
    });
    expect(headers.map((x) => [x.name, x.size])).toEqual([["backup/big", SIZE]]);
    expect(bodyBytes).toBe(SIZE);
  }, 300_000);
});
