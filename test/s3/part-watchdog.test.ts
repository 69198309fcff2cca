import { expect, test } from "bun:test";
import { PartWatchdog } from "../../src/s3/part-watchdog.ts";

const MB = 1e6;

/** A watchdog on a clock the test moves (its own timer never fires within these tests). */
function onClock(minMs = 1000, factor = 4) {
  const clock = { t: 0 };
  const dog = new PartWatchdog({ minMs, factor }, () => clock.t);
  return { clock, dog };
}

test("no part has finished yet: nothing is called stalled, however long it runs", () => {
  const { clock, dog } = onClock();
  const a = dog.start(10 * MB);
  clock.t = 3_600_000;
  expect(dog.check()).toBe(0);
  expect(a.stalled).toBe(false);
  expect(dog.limitFor(10 * MB)).toBeUndefined();
  a.end(false);
  dog.stop();
});

test("a part far slower than the slowest finished one is aborted, with a reason to retry", () => {
  const { clock, dog } = onClock(1000, 4);
  const fast = dog.start(10 * MB);
  const slow = dog.start(10 * MB);
  const stuck = dog.start(10 * MB);
  clock.t = 500;
  fast.end(true); // 20 MB/s
  clock.t = 2000;
  slow.end(true); // 5 MB/s: the slowest sets the pace
  expect(dog.limitFor(10 * MB)).toBe(8000); // 4 × 2 s
  expect(dog.limitFor(1 * MB)).toBe(1000); // never under minMs
  clock.t = 8000;
  expect(dog.check()).toBe(0);
  clock.t = 8001;
  expect(dog.check()).toBe(1);
  expect(stuck.stalled).toBe(true);
  expect(stuck.signal.aborted).toBe(true);
  expect(String((stuck.signal.reason as Error).message)).toMatch(/^stalled: not done after 8s while the other parts went at 5\.0 MB\/s or faster$/);
  expect(dog.check()).toBe(0); // aborted once
  stuck.end(false);
  dog.stop();
});

test("failed and stalled attempts do not teach the pace; a retry starts its own clock", () => {
  const { clock, dog } = onClock(1000, 4);
  const failed = dog.start(10 * MB);
  clock.t = 100_000;
  failed.end(false);
  expect(dog.limitFor(10 * MB)).toBeUndefined();
  const ok = dog.start(10 * MB);
  clock.t = 101_000;
  ok.end(true); // 10 MB/s
  const retry = dog.start(10 * MB);
  clock.t = 104_000;
  expect(dog.check()).toBe(0); // 3 s of its own < 4 s
  clock.t = 105_001;
  expect(dog.check()).toBe(1);
  retry.end(true); // a stalled attempt that somehow ends ok is not counted either
  expect(dog.limitFor(10 * MB)).toBe(4000);
  dog.stop();
});
