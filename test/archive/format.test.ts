import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { detectArchiveFormat, formatFromMagic, parseArchiveFormat } from "../../src/archive/format.ts";
import { tempDir } from "./tar-helpers.ts";

describe("archive formats by value", () => {
  test("--archive-format values", () => {
    expect(parseArchiveFormat("tar.zst")).toBe("tar.zst");
    expect(() => parseArchiveFormat("tgz")).toThrow('invalid value "tgz" for --archive-format: must be one of zip, tar.gz, tar.zst');
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
