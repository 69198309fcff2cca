/** serve's Range answers (src/tools/etcd-backup/serve/range.ts). */
import { expect, test } from "bun:test";
import { answerRange } from "../../src/tools/etcd-backup/serve/range.ts";

test("one range: a-b, a-, -n; beyond the end is 416; nonsense is ignored", () => {
  expect(answerRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9, partial: true });
  expect(answerRange("bytes=90-", 100)).toEqual({ start: 90, end: 99, partial: true });
  expect(answerRange("bytes=-10", 100)).toEqual({ start: 90, end: 99, partial: true });
  expect(answerRange("bytes=100-", 100)).toBe("unsatisfiable");
  expect(answerRange("bytes=-0", 100)).toBe("unsatisfiable");
  expect(answerRange("bytes=0-1,5-6", 100)).toEqual({ start: 0, end: 99, partial: false });
  expect(answerRange(null, 100)).toEqual({ start: 0, end: 99, partial: false });
});

// Issue 19.21: a suffix range on an empty file answered 206 with `Content-Range: bytes 0--1/0`.
test("an empty file satisfies no range: 416 (the whole of it is still 200)", () => {
  expect(answerRange("bytes=-5", 0)).toBe("unsatisfiable");
  expect(answerRange("bytes=0-", 0)).toBe("unsatisfiable");
  expect(answerRange(null, 0)).toEqual({ start: 0, end: -1, partial: false });
});
