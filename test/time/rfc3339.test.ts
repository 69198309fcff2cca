import { describe, expect, test } from "bun:test";
import { formatRfc3339, parseRfc3339 } from "../../src/time/rfc3339.ts";

// One strict parser for every retention decision (local rolling, S3 rotation): Date.parse would
// accept "2024" or locale forms and turn a stray file into a deletion.
describe("strict RFC 3339 (Go time.RFC3339)", () => {
  const iso = (s: string) => {
    const t = parseRfc3339(s);
    return t instanceof Error ? t.message : new Date(t).toISOString();
  };

  test("accepts Go's forms", () => {
    expect(iso("2024-02-29T23:59:59Z")).toBe("2024-02-29T23:59:59.000Z");
    expect(iso("2024-01-01T01:00:00+01:00")).toBe("2024-01-01T00:00:00.000Z");
    expect(iso("2024-01-01T00:00:00.5Z")).toBe("2024-01-01T00:00:00.500Z");
  });

  test("refuses what Date.parse would take, with Go's wording", () => {
    for (const s of [
      "2024",
      "2024-01-01",
      "2024-01-01t00:00:00z",
      "2023-02-29T00:00:00Z",
      "2024-01-01T24:00:00Z",
      "2024-01-01 00:00:00Z",
      "rke",
      "c-abc-rl-2024-01-01T00:00:00Z",
    ]) {
      const t = parseRfc3339(s);
      expect(t).toBeInstanceOf(Error);
      expect((t as Error).message).toStartWith(`parsing time ${JSON.stringify(s)} as "2006-01-02T15:04:05Z07:00": `);
    }
  });

  test("formats without fractional seconds (not toISOString)", () => {
    expect(formatRfc3339(new Date("2026-11-21T04:51:14.123Z"))).toBe("2026-11-21T04:51:14Z");
  });
});
