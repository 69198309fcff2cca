/** The zip writer against independent readers (unzip, zipinfo, Python's zipfile), ZIP64 included. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { streamDeflater, type Deflater } from "../../src/archive/deflate.ts";
import { parallelDeflater } from "../../src/archive/deflate-parallel.ts";
import { createHash } from "node:crypto";
import { ZipWriter } from "../../src/archive/zip-writer.ts";
import { AtomicFile } from "../../src/fs/atomic.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { pyZip, unzipTest } from "../etcd-backup/save-helpers.ts";

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "rke-zip-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function write(path: string, entries: [string, number, AsyncIterable<Uint8Array> | Uint8Array][], deflater?: Deflater): Promise<number> {
  const f = await AtomicFile.create(path);
  try {
    const z = new ZipWriter(f, deflater ? { deflater } : {});
    for (const [name, mode, src] of entries) await z.add(name, mode, src);
    const size = await z.finish();
    await f.commit();
    return size;
  } catch (e) {
    await f.abort();
    throw e;
  }
}

describeWith([hasCommand("unzip", "apt-get install unzip"), hasCommand("python3", "apt-get install python3")], "zip writer", () => {
  test("empty entry, odd names: Go's UTF-8 flag rule (set for '~' and non-ASCII, not for ':' or '+')", async () => {
    const p = join(dir, "a.zip");
    await write(p, [
      ["/backup/2026-11-21T10:21:59+05:30_etcd", 0o600, new Uint8Array(0)],
      ["/backup/snap~1", 0o600, new TextEncoder().encode("x")],
      ["/backup/snäp", 0o644, new TextEncoder().encode("y".repeat(1000))],
    ]);
    expect(unzipTest(p).code).toBe(0);
    const e = pyZip(p);
    expect(e.map((x) => [x.name, x.flags, x.size])).toEqual([
      ["/backup/2026-11-21T10:21:59+05:30_etcd", 0x8, 0],
      ["/backup/snap~1", 0x808, 1],
      ["/backup/snäp", 0x808, 1000],
    ]);
  });

  test("the size reported is the file's size; the central directory follows the data descriptors", async () => {
    const p = join(dir, "b.zip");
    const data = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) % 256);
    const size = await write(p, [["/backup/b", 0o600, data]]);
    expect(statSync(p).size).toBe(size);
    const info = spawnSync("unzip", ["-Z", "-v", p], { encoding: "utf8" }).stdout;
    expect(info).toContain("extended local header:                          yes");
    expect(info).toContain("file last modified on (DOS date/time):          2098 Jan 1 00:00:00");
    expect(info).toContain("file last modified on (UT extra field modtime): 1970 Jan 1 00:00:00 UTC");
  });

  test("parallel deflate: one valid deflate stream whatever the block boundaries, same size class as one zlib stream", async () => {
    const data = Buffer.alloc(5 * 65536 + 123);
    for (let i = 0; i < data.length; i++) data[i] = (i % 97 === 0 ? (i * 13) & 0xff : 0x41 + (i % 26)) ^ ((i >> 12) & 3);
    const want = createHash("sha256").update(data).digest("hex");
    const cases: [string, number, number][] = [
      ["exact blocks", 65536, 65536],
      ["odd chunks", 65536, 1000],
      ["one small block", 1 << 20, 7777],
      ["tiny blocks", 40000, 3333],
    ];
    for (const [label, blockSize, chunk] of cases) {
      async function* gen() {
        for (let o = 0; o < data.length; o += chunk) yield data.subarray(o, o + chunk);
      }
      const p = join(dir, `${label}.zip`);
      await write(
        p,
        [
          ["/backup/p", 0o600, gen()],
          ["/backup/empty", 0o600, new Uint8Array(0)],
        ],
        parallelDeflater({ level: 6, blockSize, inFlight: 3 }),
      );
      expect(unzipTest(p).code).toBe(0);
      const e = pyZip(p);
      expect([label, e[0]!.sha256, e[0]!.size, e[1]!.size]).toEqual([label, want, data.length, 0]);
    }
    const single = join(dir, "single.zip");
    await write(single, [["/backup/p", 0o600, data]], streamDeflater(6));
    const par = join(dir, "par.zip");
    await write(par, [["/backup/p", 0o600, data]], parallelDeflater({ level: 6, blockSize: 65536 }));
    expect(statSync(par).size / statSync(single).size).toBeLessThan(1.05);
  });

  test("a failing source fails the entry through the parallel engine", async () => {
    async function* bad() {
      yield new Uint8Array(3 << 20);
      throw new Error("source broke");
    }
    const e = await write(join(dir, "bad.zip"), [["/backup/bad", 0o600, bad()]], parallelDeflater({ level: 6 })).then(
      () => undefined,
      (x) => x,
    );
    expect((e as Error).message).toBe("source broke");
    expect(readdirSync(dir)).toEqual([]);
  });

  // ZIP64: an etcd of more than 4 GiB is impractical in CI, so the writer is fed a generated
  // 4.25 GiB stream (compressible, so that it runs in about a minute) followed by a second entry.
  test("ZIP64 above 4 GiB: unzip -t and Python's zipfile read it, sizes and content right", async () => {
    const p = join(dir, "big.zip");
    const block = new Uint8Array(1024 * 1024);
    for (let i = 0; i < block.length; i++) block[i] = (i * 31 + (i >> 10)) & 0xff;
    const blocks = 4 * 1024 + 256; // 4.25 GiB
    const hasher = new Bun.CryptoHasher("sha256");
    for (let i = 0; i < blocks; i++) hasher.update(block);
    const want = hasher.digest("hex");
    async function* gen() {
      for (let i = 0; i < blocks; i++) yield block;
    }
    await write(
      p,
      [
        ["/backup/big", 0o600, gen()],
        ["/etc/kubernetes/big.rkestate", 0o600, new TextEncoder().encode("{}")],
      ],
      parallelDeflater({ level: 1 }),
    );
    const t = unzipTest(p);
    expect(t.out).toContain("No errors detected");
    const e = pyZip(p);
    expect(e.map((x) => [x.name, x.size, x.extract_version])).toEqual([
      ["/backup/big", blocks * block.length, 45],
      ["/etc/kubernetes/big.rkestate", 2, 20],
    ]);
    expect(e[0]!.sha256).toBe(want);
  }, 600_000);
});
