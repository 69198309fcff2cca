import { describe, expect, test } from "bun:test";
import { formatDuration, Hour, Minute, parseDuration, Second } from "../../src/time/duration.ts";

describe("Go durations", () => {
  test.each([
    ["12h", 12n * Hour, "12h0m0s"],
    ["72h", 72n * Hour, "72h0m0s"],
    ["5m0s", 5n * Minute, "5m0s"],
    ["6h0s", 6n * Hour, "6h0m0s"],
    ["1h30m", 90n * Minute, "1h30m0s"],
    ["1.5h", 90n * Minute, "1h30m0s"],
    ["300ms", 300_000_000n, "300ms"],
    ["0", 0n, "0s"],
    ["-1.5s", -1_500_000_000n, "-1.5s"],
    ["1µs", 1000n, "1µs"],
    ["1us", 1000n, "1µs"],
    ["2h45m30.5s", 2n * Hour + 45n * Minute + 30n * Second + 500_000_000n, "2h45m30.5s"],
  ])("parses %p", (text, ns, formatted) => {
    expect(parseDuration(text)).toBe(ns);
    expect(formatDuration(ns)).toBe(formatted);
  });

  test.each([
    ["5", 'time: missing unit in duration "5"'],
    ["", 'time: invalid duration ""'],
    ["h", 'time: invalid duration "h"'],
    ["1x", 'time: unknown unit "x" in duration "1x"'],
    ["12 h", 'time: unknown unit " h" in duration "12 h"'],
  ])("rejects %p", (text, message) => {
    expect(() => parseDuration(text)).toThrow(message);
  });

  test("formats sub-second values as Go does in logrus fields", () => {
    expect(formatDuration(23_789_377n)).toBe("23.789377ms");
    expect(formatDuration(997_550n)).toBe("997.55µs");
    expect(formatDuration(12n)).toBe("12ns");
  });
});
