import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { zstdCompressSync } from "node:zlib";
import { entryNames } from "../../src/snapshot/layout.ts";
import type { TarCompression } from "../../src/archive/tar-compression.ts";
import { extractTarEntry, readTar } from "../../src/archive/tar-reader.ts";
import { TarWriter } from "../../src/archive/tar-writer.ts";
import { isRkeToolsError } from "../../src/errors.ts";
import { AtomicFile } from "../../src/fs/atomic.ts";
import { describeWith, hasCommand } from "../support/components.ts";
import { MemorySink, chunked, fileStream, sampleBytes, sha256, tempDir, ustarHeader, writeTarFile } from "./tar-helpers.ts";

const gnuTar = hasCommand("tar", "apt-get install tar");
const zstdCmd = hasCommand("zstd", "apt-get install zstd");

const FORMATS: { compression: TarCompression; ext: string; gnuFlag: string }[] = [
  { compression: "none", ext: "tar", gnuFlag: "" },
  { compression: "gzip", ext: "tar.gz", gnuFlag: "-z" },
  { compression: "zstd", ext: "tar.zst", gnuFlag: "--zstd" },
];

const NAME = "c-8k8lp-rs-dq2mx_2024-05-01T12:00:00Z";
const names = entryNames(NAME, "tar.zst");
const snapshot = sampleBytes(3 * 1024 * 1024 + 123);
const state = Buffer.from(JSON.stringify({ desiredState: {}, currentState: {} }, null, 2));
const ENTRIES = [
  { name: names.snapshot, mode: 0o600, data: snapshot },
  { name: names.state, mode: 0o400, data: state },
];

function run(cmd: string, args: string[], cwd?: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function readFrom(path: string, compression: TarCompression, entry: string) {
  const sink = new MemorySink();
  const header = await extractTarEntry(fileStream(path), entry, sink, { compression, label: path });
  return { header, bytes: sink.bytes };
}

async function failureOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a failure");
}

describe("tar writer and reader", () => {
  for (const f of FORMATS) {
    test(`round trip, ${f.ext}`, async () => {
      using t = tempDir("tar");
      const path = join(t.dir, `${NAME}.${f.ext}`);
      const written = await writeTarFile(path, f.compression, ENTRIES);
      expect(statSync(path).size).toBe(written);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const headers = await readTar(fileStream(path), { compression: f.compression, label: path });
      expect(headers.map((h) => [h.name, h.mode, h.size])).toEqual([
        [names.snapshot, 0o600, snapshot.byteLength],
        [names.state, 0o400, state.byteLength],
      ]);
      expect(headers[0]!.mtime.getTime()).toBe(0);
      const snap = await readFrom(path, f.compression, names.snapshot);
      expect(sha256(snap.bytes)).toBe(sha256(snapshot));
      const st = await readFrom(path, f.compression, `/${names.state}`); // the zip's absolute spelling finds it too
      expect(st.bytes.toString()).toBe(state.toString());
      const missing = await readFrom(path, f.compression, "backup/other");
      expect(missing.header).toBeUndefined();
    });
  }

  test("compressed archives are smaller, zstd no larger than gzip here", async () => {
    using t = tempDir("tar");
    const sizes: Record<string, number> = {};
    for (const f of FORMATS) sizes[f.compression] = await writeTarFile(join(t.dir, `x.${f.ext}`), f.compression, ENTRIES);
    expect(sizes.gzip!).toBeLessThan(sizes.none!);
    expect(sizes.zstd!).toBeLessThan(sizes.none!);
  });

  test("a body shorter than its size fails and the archive is not committed", async () => {
    using t = tempDir("tar");
    const file = await AtomicFile.create(join(t.dir, "short.tar.zst"));
    const tar = new TarWriter(file, { compression: "zstd" });
    const e = await failureOf(tar.add("backup/x", 0o600, chunked(Buffer.alloc(10)), { size: 11 }));
    await file.abort();
    expect(e.message).toBe("Cannot write tar entry backup/x: its header says 11 bytes, the data brought 10");
    expect(readdirSync(t.dir)).toEqual([]);
  });

  test("a body longer than its size fails", async () => {
    const tar = new TarWriter(new MemorySink(), { compression: "gzip" });
    const e = await failureOf(tar.add("backup/x", 0o600, chunked(Buffer.alloc(100), 30), { size: 50 }));
    expect(e.message).toBe("Cannot write tar entry backup/x: its header says 50 bytes, the data brought more than 50");
  });

  test("a size still unknown after the first chunk fails", async () => {
    const tar = new TarWriter(new MemorySink(), { compression: "none" });
    const e = await failureOf(tar.add("backup/x", 0o600, chunked(Buffer.alloc(100)), { size: () => undefined }));
    expect(e.message).toBe("Cannot write tar entry backup/x: its size is not known before its data");
  });

  test("an error of the body's source reaches the caller unchanged", async () => {
    async function* broken() {
      yield Buffer.alloc(10);
      throw new Error("etcd snapshot stream ended early");
    }
    const tar = new TarWriter(new MemorySink(), { compression: "zstd" });
    const e = await failureOf(tar.add("backup/x", 0o600, broken(), { size: 100 }));
    expect(e.message).toBe("etcd snapshot stream ended early");
  });

  test("a failing sink fails the archive", async () => {
    const sink = {
      n: 0,
      async write() {
        if (++this.n > 2) throw new Error("Cannot write /backup/x: no space left on device");
      },
    };
    const tar = new TarWriter(sink, { compression: "none" });
    const e = await failureOf(
      (async () => {
        await tar.add("backup/x", 0o600, chunked(sampleBytes(8 * 1024 * 1024)), { size: 8 * 1024 * 1024 });
        await tar.finish();
      })(),
    );
    expect(e.message).toContain("no space left on device");
  });
});

describe("damaged archives fail with one clear line", () => {
  for (const f of FORMATS) {
    test(`truncated ${f.ext}`, async () => {
      using t = tempDir("tar");
      const path = join(t.dir, `x.${f.ext}`);
      const n = await writeTarFile(path, f.compression, ENTRIES);
      truncateSync(path, Math.floor(n / 2));
      const e = await failureOf(readFrom(path, f.compression, names.snapshot));
      expect(isRkeToolsError(e)).toBe(true);
      expect(e.message).toStartWith(`Cannot read archive ${path}: truncated: the `);
      expect(e.message).not.toContain("\n");
    });

    test(`corrupted ${f.ext}`, async () => {
      using t = tempDir("tar");
      const path = join(t.dir, `x.${f.ext}`);
      const n = await writeTarFile(path, f.compression, ENTRIES);
      const buf = readFileSync(path);
      // Inside the compressed data, or (plain tar) in the first header's name.
      const at = f.compression === "none" ? 5 : Math.floor(n * 0.6);
      for (let i = at; i < at + 16; i++) buf[i] = buf[i]! ^ 0x5a;
      writeFileSync(path, buf);
      const e = await failureOf(readFrom(path, f.compression, names.snapshot));
      expect(isRkeToolsError(e)).toBe(true);
      expect(e.message).toMatch(new RegExp(`^Cannot read archive ${path.replace(/[.]/g, "\\.")}: (corrupt|truncated)`));
      expect(e.message).not.toContain("\n");
    });
  }

  test("gzip data that is not a tar", async () => {
    using t = tempDir("tar");
    const path = join(t.dir, "x.tar.gz");
    writeFileSync(path, Bun.gzipSync(new Uint8Array(sampleBytes(4096))));
    const e = await failureOf(readFrom(path, "gzip", names.snapshot));
    expect(e.message).toBe(`Cannot read archive ${path}: corrupt tar header (checksum mismatch or not a tar)`);
  });

  test("an empty file", async () => {
    using t = tempDir("tar");
    const path = join(t.dir, "x.tar.zst");
    writeFileSync(path, "");
    const e = await failureOf(readFrom(path, "zstd", names.snapshot));
    expect(e.message).toBe(`Cannot read archive ${path}: it is empty`);
  });
});

describe("what no snapshot archive holds is refused at its header (issue 19, item 11)", () => {
  const compress = (f: TarCompression, b: Buffer) => (f === "gzip" ? Bun.gzipSync(new Uint8Array(b)) : f === "zstd" ? zstdCompressSync(b) : b);

  for (const f of FORMATS) {
    test(`a third file, ${f.ext}: refused, the wanted entry already read or not`, async () => {
      using t = tempDir("tar");
      const path = join(t.dir, `x.${f.ext}`);
      await writeTarFile(path, f.compression, [...ENTRIES, { name: "backup/extra", mode: 0o600, data: state }]);
      for (const entry of [names.snapshot, "backup/none"]) {
        const e = await failureOf(readFrom(path, f.compression, entry));
        expect(e.message).toBe(`Cannot read archive ${path}: it holds more than 2 files; a snapshot archive holds the snapshot and at most the state file`);
      }
    });

    test(`an entry declaring more than 64 GiB, ${f.ext}: refused before its data is read`, async () => {
      using t = tempDir("tar");
      const path = join(t.dir, `x.${f.ext}`);
      // 48 KiB of data follow a header that declares 65 GiB: the old reader inflated until "truncated".
      writeFileSync(path, compress(f.compression, Buffer.concat([ustarHeader(names.snapshot, 65 * 2 ** 30), Buffer.alloc(48 << 10)])));
      const e = await failureOf(readTar(fileStream(path), { compression: f.compression, label: path }));
      expect(e.message).toBe(`tar: entry ${names.snapshot} of ${path} declares ${65 * 2 ** 30} bytes, more than the ${64 * 2 ** 30} accepted`);
    });
  }

  test("two files of one name (`backup/x` and `/backup/x`): refused (issue 19, item 12)", async () => {
    using t = tempDir("tar");
    const path = join(t.dir, "x.tar.gz");
    await writeTarFile(path, "gzip", [ENTRIES[0]!, { ...ENTRIES[0]!, name: `/${names.snapshot}` }]);
    const e = await failureOf(readFrom(path, "gzip", names.snapshot));
    expect(e.message).toBe(`Cannot read archive ${path}: it holds two entries named ${names.snapshot}`);
  });

  test("a folder of many entries: refused at the ninth", async () => {
    using t = tempDir("tar");
    const path = join(t.dir, "x.tar.zst");
    const dirs = Array.from({ length: 200 }, (_, i) => ustarHeader(`backup/d${i}/`, 0, "5"));
    writeFileSync(path, zstdCompressSync(Buffer.concat([...dirs, Buffer.alloc(1024)])));
    const e = await failureOf(readTar(fileStream(path), { compression: "zstd", label: path }));
    expect(e.message).toBe(`Cannot read archive ${path}: it holds more than 8 entries; a snapshot archive holds the snapshot and at most the state file`);
  });

  test("folder entries as `tar -c backup etc` adds them are read", async () => {
    using t = tempDir("tar");
    const path = join(t.dir, "x.tar");
    const body = Buffer.from("{}");
    const tar = Buffer.concat([
      ...["backup/", "etc/", "etc/kubernetes/"].map((d) => ustarHeader(d, 0, "5")),
      ustarHeader(names.state, body.length),
      Buffer.concat([body, Buffer.alloc(510)]),
      Buffer.alloc(1024),
    ]);
    writeFileSync(path, tar);
    const headers = await readTar(fileStream(path), { compression: "none", label: path });
    expect(headers.map((h) => h.name)).toEqual([names.state]);
  });
});

describeWith([gnuTar, zstdCmd], "GNU tar and our archives", () => {
  for (const f of FORMATS) {
    test(`GNU tar lists and extracts our ${f.ext}`, async () => {
      using t = tempDir("tar");
      const path = join(t.dir, `${NAME}.${f.ext}`);
      await writeTarFile(path, f.compression, ENTRIES);
      const list = run("tar", ["-tvf", path, ...(f.gnuFlag ? [f.gnuFlag] : [])]);
      expect(list.err).toBe("");
      expect(list.code).toBe(0);
      const lines = list.out.trim().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(new RegExp(`^-rw------- 0/0 +${snapshot.byteLength} 1970-01-01 00:00 ${names.snapshot}$`));
      expect(lines[1]).toMatch(new RegExp(`^-r-------- 0/0 +${state.byteLength} 1970-01-01 00:00 ${names.state}$`));
      const out = join(t.dir, "out");
      mkdirSync(out);
      const x = run("tar", [...(f.gnuFlag ? [f.gnuFlag] : []), "-xf", path, "-C", out]);
      expect(x.err).toBe("");
      expect(x.code).toBe(0);
      expect(sha256(readFileSync(join(out, names.snapshot)))).toBe(sha256(snapshot));
      expect(readFileSync(join(out, names.state)).toString()).toBe(state.toString());
      expect(statSync(join(out, names.snapshot)).mode & 0o777).toBe(0o600);
    });

    test(`our reader reads GNU tar's ${f.ext}`, async () => {
      using t = tempDir("tar");
      mkdirSync(join(t.dir, "src", "backup"), { recursive: true });
      mkdirSync(join(t.dir, "src", "etc", "kubernetes"), { recursive: true });
      writeFileSync(join(t.dir, "src", names.snapshot), snapshot, { mode: 0o600 });
      writeFileSync(join(t.dir, "src", names.state), state, { mode: 0o644 });
      const path = join(t.dir, `gnu.${f.ext}`);
      const c = run("tar", [...(f.gnuFlag ? [f.gnuFlag] : []), "-cf", path, names.snapshot, names.state], join(t.dir, "src"));
      expect(c.code).toBe(0);
      const headers = await readTar(fileStream(path), { compression: f.compression, label: path });
      expect(headers.map((h) => [h.name, h.size])).toEqual([
        [names.snapshot, snapshot.byteLength],
        [names.state, state.byteLength],
      ]);
      const snap = await readFrom(path, f.compression, names.snapshot);
      expect(sha256(snap.bytes)).toBe(sha256(snapshot));
      expect(snap.header?.mode).toBe(0o600);
    });
  }

  test("a name over 100 bytes survives (PAX path)", async () => {
    using t = tempDir("tar");
    const long = `backup/${"n".repeat(150)}`;
    const path = join(t.dir, "long.tar");
    await writeTarFile(path, "none", [{ name: long, mode: 0o600, data: Buffer.from("x") }]);
    expect(run("tar", ["-tf", path]).out.trim()).toBe(long);
    expect((await readTar(fileStream(path), { compression: "none", label: path })).map((h) => h.name)).toEqual([long]);
  });
});
