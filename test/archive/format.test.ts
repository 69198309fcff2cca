import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  archiveFileName,
  archiveFileNames,
  detectArchiveFormat,
  entryNames,
  formatFromMagic,
  parseArchiveFileName,
  parseArchiveFormat,
} from "../../src/archive/format.ts";
import { tempDir } from "./tar-helpers.ts";

const NAME = "rke_etcd_snapshot_2024-05-01T14:00:00+02:00";

describe("archive formats by name", () => {
  test("file names per format", () => {
    expect(archiveFileName(NAME, "zip")).toBe(`${NAME}.zip`);
    expect(archiveFileName(NAME, "tar.zst")).toBe(`${NAME}.tar.zst`);
    expect(archiveFileNames("x")).toEqual(["x.zip", "x.tar.gz", "x.tar.zst"]);
  });

  test("parsing a file name strips the whole suffix", () => {
    expect(parseArchiveFileName(`${NAME}.tar.gz`)).toEqual({ name: NAME, format: "tar.gz" });
    expect(parseArchiveFileName("2024-05-01T12:00:00Z_etcd.tar.zst")).toEqual({ name: "2024-05-01T12:00:00Z_etcd", format: "tar.zst" });
    expect(parseArchiveFileName("x.zip")).toEqual({ name: "x", format: "zip" });
    expect(parseArchiveFileName("x.tar")).toBeUndefined();
    expect(parseArchiveFileName("x")).toBeUndefined();
    expect(parseArchiveFileName(".zip")).toBeUndefined();
    expect(parseArchiveFileName("pki.bundle.tar.gz")).toEqual({ name: "pki.bundle", format: "tar.gz" });
  });

  test("--archive-format values", () => {
    expect(parseArchiveFormat("tar.zst")).toBe("tar.zst");
    expect(() => parseArchiveFormat("tgz")).toThrow('invalid value "tgz" for --archive-format: must be one of zip, tar.gz, tar.zst');
  });

  test("entry names: absolute in the zip (RKE's readers), relative in tar", () => {
    expect(entryNames("s", "zip")).toEqual({ snapshot: "/backup/s", state: "/etc/kubernetes/s.rkestate" });
    expect(entryNames("s", "tar.gz")).toEqual({ snapshot: "backup/s", state: "etc/kubernetes/s.rkestate" });
  });
});

describe("archive formats by magic bytes", () => {
  test("zip, gzip, zstd and nothing known", () => {
    expect(formatFromMagic(Uint8Array.of(0x50, 0x4b, 0x03, 0x04))).toBe("zip");
    expect(formatFromMagic(Uint8Array.of(0x50, 0x4b, 0x05, 0x06))).toBe("zip");
    expect(formatFromMagic(Uint8Array.of(0x1f, 0x8b, 0x08, 0x00))).toBe("tar.gz");
    expect(formatFromMagic(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd))).toBe("tar.zst");
    expect(formatFromMagic(Uint8Array.of(0x28, 0xb5, 0x2f))).toBeUndefined();
    expect(formatFromMagic(new TextEncoder().encode("bolt"))).toBeUndefined();
  });

  test("the bytes win over the name; the name is the fallback", async () => {
    using t = tempDir("format");
    const misnamed = join(t.dir, "x.zip");
    writeFileSync(misnamed, Bun.zstdCompressSync(new TextEncoder().encode("x")));
    expect(await detectArchiveFormat(misnamed)).toBe("tar.zst");
    const gz = join(t.dir, "y.tar.zst");
    writeFileSync(gz, Bun.gzipSync(new TextEncoder().encode("y")));
    expect(await detectArchiveFormat(gz)).toBe("tar.gz");
    const junk = join(t.dir, "z.tar.gz");
    writeFileSync(junk, "junk");
    expect(await detectArchiveFormat(junk)).toBe("tar.gz");
    const raw = join(t.dir, "raw");
    writeFileSync(raw, "junk");
    expect(await detectArchiveFormat(raw)).toBeUndefined();
    await expect(detectArchiveFormat(join(t.dir, "missing.zip"))).rejects.toThrow(`Cannot read archive ${join(t.dir, "missing.zip")}: no such file`);
  });
});
