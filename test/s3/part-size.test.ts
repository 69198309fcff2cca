/** How an upload is cut: the default part size and each part's time ceiling. */
import { expect, test } from "bun:test";
import { defaultPartSize, partCeilingMs, partSizeFor } from "../../src/s3/multipart.ts";

const MIB = 2 ** 20;
const GIB = 2 ** 30;

test("about 8 parts, never under 16 MiB nor over 128 MiB, in whole MiB", () => {
  expect(defaultPartSize(20 * MIB)).toBe(16 * MIB);
  expect(defaultPartSize(340 * MIB)).toBe(43 * MIB); // a 1.1 GB database's zip: 8 parts
  expect(defaultPartSize(GIB)).toBe(128 * MIB);
  expect(defaultPartSize(900 * MIB + 1)).toBe(113 * MIB);
  expect(defaultPartSize(GIB + 1)).toBe(128 * MIB); // 9 parts
  expect(defaultPartSize(8 * GIB)).toBe(128 * MIB); // 64 parts
  expect(defaultPartSize(900 * MIB + 1) % MIB).toBe(0);
});

test("S3's 10 000-part limit still wins for huge files", () => {
  expect(partSizeFor(100 * GIB, 5 * MIB)).toBe(11 * MIB);
  expect(partSizeFor(10 * MIB, 1)).toBe(5 * MIB);
});

test("a part's ceiling is 5 min, or its size at 64 KiB/s for large parts", () => {
  expect(partCeilingMs(16 * MIB)).toBe(5 * 60_000);
  expect(partCeilingMs(128 * MIB)).toBe(2048_000);
});
