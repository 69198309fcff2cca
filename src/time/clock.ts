/**
 * A time source with a ticker. Progress lines and stall watchdogs take one, so that tests move time
 * themselves (test/support/clock.ts) instead of waiting on the wall clock.
 */
export interface Clock {
  now(): number;
  /** Calls `tick` every `ms` until the returned function is called. */
  every(ms: number, tick: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  every(ms, tick) {
    const t = setInterval(tick, ms);
    t.unref(); // a ticker never keeps the process alive: the work it watches does
    return () => clearInterval(t);
  },
};
