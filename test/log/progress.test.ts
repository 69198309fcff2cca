/** Progress lines on a clock the test moves: pace, content, both formats, and silence once stopped. */
import { describe, expect, test } from "bun:test";
import { Logger } from "../../src/log/logger.ts";
import { formatBytes, Progress } from "../../src/log/progress.ts";
import { fakeClock } from "../support/clock.ts";

function capture(format: "text" | "json" = "text") {
  const lines: string[] = [];
  const log = Logger.create({ format, sink: (l) => lines.push(l), now: () => new Date(Date.UTC(2026, 11, 5)) });
  return { log, lines };
}

const GiB = 2 ** 30;

describe("Progress", () => {
  test("one line per interval with bytes, total, percentage and mean rate; nothing before the first interval", () => {
    const c = fakeClock();
    const { log, lines } = capture();
    const p = Progress.start({ log, msg: "Saving snapshot", fields: { name: "snap" }, total: 4 * GiB, policy: { intervalMs: 10_000, clock: c.clock } });
    p.add(GiB / 2);
    c.advance(9_999);
    expect(lines).toEqual([]);
    c.advance(1);
    p.add(GiB / 2);
    c.advance(10_000);
    p.stop();
    expect(lines).toEqual([
      'time="2026-12-05T00:00:00Z" level=info msg="Saving snapshot: 512.0 MiB of 4.0 GiB (12%), 51.2 MiB/s" bytes=536870912 name=snap percent=12 rate="51.2 MiB/s" total=4294967296\n',
      'time="2026-12-05T00:00:00Z" level=info msg="Saving snapshot: 1.0 GiB of 4.0 GiB (25%), 51.2 MiB/s" bytes=1073741824 name=snap percent=25 rate="51.2 MiB/s" total=4294967296\n',
    ]);
  });

  test("a total asked for at each line: unknown at first, then known (etcd announces it with its first message)", () => {
    const c = fakeClock();
    const { log, lines } = capture();
    let total: number | undefined;
    const p = Progress.start({ log, msg: "Saving snapshot", total: () => total, policy: { intervalMs: 1_000, clock: c.clock } });
    c.advance(1_000);
    total = 2048;
    p.add(1024);
    c.advance(1_000);
    p.stop();
    expect(lines[0]).toContain('msg="Saving snapshot: 0 B, 0 B/s"');
    expect(lines[0]).not.toContain("percent=");
    expect(lines[1]).toContain('msg="Saving snapshot: 1.0 KiB of 2.0 KiB (50%), 512 B/s"');
  });

  test("JSON lines carry the numbers as fields", () => {
    const c = fakeClock();
    const { log, lines } = capture("json");
    const p = Progress.start({ log, msg: "Uploading snapshot", total: 100, policy: { intervalMs: 10_000, clock: c.clock } });
    p.set(40);
    c.advance(10_000);
    p.stop();
    expect(JSON.parse(lines[0]!)).toEqual({
      bytes: "40",
      level: "info",
      msg: "Uploading snapshot: 40 B of 100 B (40%), 4 B/s",
      percent: "40",
      rate: "4 B/s",
      time: "2026-12-05T00:00:00Z",
      total: "100",
    });
  });

  test("stop() cancels the ticker; count() stops it when its source ends or fails", async () => {
    const c = fakeClock();
    const { log, lines } = capture();
    const p = Progress.start({ log, msg: "x", policy: { intervalMs: 10, clock: c.clock } });
    async function* source() {
      yield new Uint8Array(3);
      c.advance(10); // a line while the source runs
      yield new Uint8Array(4);
    }
    let seen = 0;
    for await (const chunk of p.count(source())) seen += chunk.byteLength;
    expect(seen).toBe(7);
    expect(p.done).toBe(7);
    expect(c.active).toBe(0);
    c.advance(1_000);
    expect(lines).toHaveLength(1);

    const q = Progress.start({ log, msg: "y", policy: { intervalMs: 10, clock: c.clock } });
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(1);
      throw new Error("etcd went away");
    }
    await expect(
      (async () => {
        for await (const _ of q.count(failing())) {
          /* drain */
        }
      })(),
    ).rejects.toThrow("etcd went away");
    expect(c.active).toBe(0);
  });

  test("the percentage never passes 100 (a total that was an estimate)", () => {
    const c = fakeClock();
    const { log, lines } = capture();
    const p = Progress.start({ log, msg: "x", total: 10, policy: { intervalMs: 1, clock: c.clock } });
    p.add(15);
    c.advance(1);
    p.stop();
    expect(lines[0]).toContain("(100%)");
  });

  test("formatBytes", () => {
    expect([0, 1023, 1024, 1536, 5 * 2 ** 20, 8 * GiB].map(formatBytes)).toEqual(["0 B", "1023 B", "1.0 KiB", "1.5 KiB", "5.0 MiB", "8.0 GiB"]);
  });
});
