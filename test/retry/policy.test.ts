import { describe, expect, test } from "bun:test";
import { ErrorCode, RkeToolsError } from "../../src/errors.ts";
import { delayFor, retry, retryPolicy, sleep } from "../../src/retry/policy.ts";

describe("retry policy", () => {
  test("defaults: one attempt, no delay", async () => {
    let n = 0;
    await expect(
      retry(async () => {
        n++;
        throw new Error("x");
      }, retryPolicy()),
    ).rejects.toThrow("x");
    expect(n).toBe(1);
  });

  test("retries until success and reports each retry", async () => {
    const seen: number[] = [];
    const v = await retry(
      async (a) => {
        if (a < 3) throw new Error(`fail ${a}`);
        return a;
      },
      retryPolicy({ attempts: 5 }),
      { onRetry: (_e, a) => seen.push(a) },
    );
    expect(v).toBe(3);
    expect(seen).toEqual([1, 2]);
  });

  test("does not retry what retryOn refuses (invalid input)", async () => {
    let n = 0;
    const p = retry(
      async () => {
        n++;
        throw new RkeToolsError(ErrorCode.InvalidInput, "bad");
      },
      retryPolicy({ attempts: 4 }),
    );
    await expect(p).rejects.toThrow("bad");
    expect(n).toBe(1);
  });

  test("exponential delays are capped; jitter stays within its spread", () => {
    const p = retryPolicy({ delayMs: 100, factor: 2, maxDelayMs: 500 });
    expect([1, 2, 3, 4, 5].map((a) => delayFor(p, a))).toEqual([100, 200, 400, 500, 500]);
    const j = retryPolicy({ delayMs: 1000, jitter: 0.5 });
    expect(delayFor(j, 1, () => 0)).toBe(500);
    expect(delayFor(j, 1, () => 1)).toBe(1500);
  });

  test("an abort ends a delay at once", async () => {
    const c = new AbortController();
    const p = sleep(60_000, c.signal);
    c.abort(new Error("SIGTERM"));
    await expect(p).rejects.toThrow("Operation aborted: SIGTERM");
  });
});
