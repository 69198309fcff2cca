/** The zip writer against independent readers (unzip, zipinfo, Python's zipfile), ZIP64 included. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { streamDeflater } from "../../src/archive/deflate.ts";
import { ZipWriter } from "../../src/archive/zip-writer.ts";
import { AtomicFile } from "../../src/fs/atomic.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { pyZip, unzipTest } from "../etcd-backup/save-helpers.ts";

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "rke-zip-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function write(path: string, entries: [string, number, AsyncIterable<Uint8Array> | Uint8Array][], level?: number): Promise<number> {
  const f = await AtomicFile.create(path);
  const z = new ZipWriter(f, level === undefined ? {} : { deflater: streamDeflater(level) });
  for (const [name, mode, src] of entries) await z.add(name, mode, src);
  const size = await z.finish();
  await f.commit();
  return size;
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
    await write(p, [["/backup/big", 0o600, gen()], ["/etc/kubernetes/big.rkestate", 0o600, new TextEncoder().encode("{}")]], 1);
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
