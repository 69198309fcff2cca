/** A clock whose tickers fire only when the test advances it (src/time/clock.ts). */
import type { Clock } from "../../src/time/clock.ts";

export function fakeClock() {
  let now = 0;
  const tickers = new Set<{ ms: number; next: number; tick: () => void }>();
  const clock: Clock = {
    now: () => now,
    every(ms, tick) {
      const t = { ms, next: now + ms, tick };
      tickers.add(t);
      return () => tickers.delete(t);
    },
  };
  return {
    clock,
    /** Moves time by `ms`, firing every ticker that falls due on the way, in order. */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...tickers].filter((t) => t.next <= end).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        now = due.next;
        due.next += due.ms;
        due.tick();
      }
      now = end;
    },
    get active() {
      return tickers.size;
    },
  };
}
