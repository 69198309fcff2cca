/**
 * net/body-to-file.ts: a body (a real loopback Response, or chunks) into an AtomicFile, with early
 * syncs, the observer, the byte limit, the expected length, aborts and stalls. Stalls are driven
 * by a clock the test moves (test/support/clock.ts), never by waiting.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, isRkeToolsError } from "../../src/errors.ts";
import { AtomicFile, EARLY_SYNC_BYTES } from "../../src/fs/atomic.ts";
import { BodyError } from "../../src/net/body-error.ts";
import { bodyToFile } from "../../src/net/body-to-file.ts";
import { StallWatch, stallPolicy, DEFAULT_STALL_POLICY } from "../../src/net/stall.ts";
import { fakeClock } from "../support/clock.ts";

const MIB = 1 << 20;
let dir: string;
let n = 0;
const newFile = () => AtomicFile.create(join(dir, `f${++n}`));
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "body-to-file-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Chunks, then (when `hang`) a wait that only ends when the consumer lets go. */
function source(chunks: Uint8Array[], hang = false) {
  const state = { returned: false, pulled: 0 };
  const iterable: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        if (state.pulled < chunks.length) return { done: false, value: chunks[state.pulled++]! };
        if (hang) return new Promise<IteratorResult<Uint8Array>>(() => {});
        return { done: true, value: undefined };
      },
      return: async () => {
        state.returned = true;
        return { done: true, value: undefined };
      },
    }),
  };
  return { iterable, state };
}

/** Settles `p` and hands back what it rejected with (fails the test if it resolved). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => {
      throw new Error(`expected a rejection, got ${String(v)}`);
    },
    (e: unknown) => e,
  );
}

/** Lets pending promise callbacks run (no time passes on any clock). */
const settle = () => new Promise<void>((r) => setImmediate(r));

test("the policy's documented defaults: 60 s idle, a 50 ms poll; undefined fields keep them", () => {
  expect(DEFAULT_STALL_POLICY.idleMs).toBe(60_000);
  expect(DEFAULT_STALL_POLICY.pollMs).toBe(50);
  expect(stallPolicy({ idleMs: undefined }).idleMs).toBe(60_000);
  expect(stallPolicy({ idleMs: 1500 }).idleMs).toBe(1500);
});

describe("chunks", () => {
  test("are written in order; the observer sees each size; the count is returned", async () => {
    const file = await newFile();
    const sizes: number[] = [];
    const { iterable } = source([Buffer.from("ab"), Buffer.from("cde"), Buffer.from("f")]);
    const bytes = await bodyToFile(iterable, file, { onGrowth: (s) => sizes.push(s), expected: 6 });
    await file.commit();
    expect(bytes).toBe(6);
    expect(sizes).toEqual([2, 5, 6]);
    expect(readFileSync(file.finalPath, "utf8")).toBe("abcdef");
  });

  test("bytes already in the file count (a resumed download)", async () => {
    const file = await newFile();
    await file.write(Buffer.from("0123"));
    const bytes = await bodyToFile(source([Buffer.from("45")]).iterable, file, { expected: 6 });
    await file.commit();
    expect(bytes).toBe(6);
    expect(readFileSync(file.finalPath, "utf8")).toBe("012345");
  });

  test("a body of the wrong length: BodyError length, in the field's terms", async () => {
    const file = await newFile();
    const e = await rejection(bodyToFile(source([Buffer.from("abc")]).iterable, file, { expected: 5 }));
    await file.abort();
    expect(e).toBeInstanceOf(BodyError);
    expect((e as BodyError).kind).toBe("length");
    expect((e as BodyError).fields).toEqual({ bytes: 3, expected: 5 });
    expect((e as BodyError).message).toBe("received 3 of 5 bytes");
    expect(isRkeToolsError(e, ErrorCode.Http)).toBe(true);
  });

  test("a body beyond the limit is cut there: BodyError limit, the rest never pulled", async () => {
    const file = await newFile();
    const { iterable, state } = source([Buffer.alloc(4), Buffer.alloc(4), Buffer.alloc(4), Buffer.alloc(4)]);
    const e = await rejection(bodyToFile(iterable, file, { limit: 6 }));
    await file.abort();
    expect((e as BodyError).kind).toBe("limit");
    expect((e as BodyError).fields).toEqual({ bytes: 8, limit: 6 });
    expect(state.pulled).toBe(2);
    expect(state.returned).toBe(true);
  });

  test("the file grows by EARLY_SYNC_BYTES: an fdatasync starts before the end", async () => {
    const file = await newFile();
    let early = 0;
    const sync = file.syncEarly.bind(file);
    file.syncEarly = () => {
      early++;
      sync();
    };
    const chunk = Buffer.alloc(MIB);
    const count = EARLY_SYNC_BYTES / MIB + 1;
    await bodyToFile(source(Array.from({ length: count }, () => chunk)).iterable, file, {});
    await file.commit();
    expect(early).toBe(1);
  });

  test("an abort of the caller's signal: E_ABORTED, the source let go", async () => {
    const file = await newFile();
    const { iterable, state } = source([Buffer.from("x")], true);
    const ac = new AbortController();
    const p = bodyToFile(iterable, file, { signal: ac.signal, stall: { clock: fakeClock().clock } });
    await settle();
    ac.abort(new Error("received SIGTERM"));
    const e = await rejection(p);
    await file.abort();
    expect(isRkeToolsError(e, ErrorCode.Aborted)).toBe(true);
    expect((e as Error).message).toBe("Operation aborted: received SIGTERM");
    expect(state.returned).toBe(true);
  });
});

describe("stalls, on a clock the test moves", () => {
  test("no data for idleMs after the last chunk: BodyError stall; not one tick earlier", async () => {
    const c = fakeClock();
    const file = await newFile();
    const { iterable, state } = source([Buffer.from("hello")], true);
    let settled = false;
    const landed = Promise.withResolvers<void>();
    const p = bodyToFile(iterable, file, { stall: { idleMs: 1500, pollMs: 100, clock: c.clock }, onGrowth: () => landed.resolve() }).finally(() => {
      settled = true;
    });
    await landed.promise; // the first chunk is on disk, at time 0
    c.advance(1400);
    await settle();
    expect(settled).toBe(false);
    c.advance(100);
    const e = await rejection(p);
    await file.abort();
    expect((e as BodyError).kind).toBe("stall");
    expect((e as BodyError).message).toBe("no data for 1.5 s");
    expect((e as BodyError).fields.idleMs).toBe(1500);
    expect(state.returned).toBe(true);
    expect(c.active).toBe(0); // every ticker stopped
  });

  test("data that keeps coming keeps it alive past idleMs in total", async () => {
    const c = fakeClock();
    const file = await newFile();
    let push: (chunk: Uint8Array | null) => void = () => {};
    const iterable: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise((r) => (push = (chunk) => r(chunk ? { done: false, value: chunk } : { done: true, value: undefined }))),
      }),
    };
    let landed = Promise.withResolvers<void>();
    const p = bodyToFile(iterable, file, { stall: { idleMs: 1000, pollMs: 100, clock: c.clock }, onGrowth: () => landed.resolve() });
    for (let i = 0; i < 5; i++) {
      await settle(); // the next chunk is asked for
      c.advance(900);
      push(Buffer.from("x"));
      await landed.promise; // and written, at this time
      landed = Promise.withResolvers<void>();
    }
    await settle();
    push(null);
    expect(await p).toBe(5);
    await file.commit();
  });

  test("a watch started before the request counts the wait for the headers", async () => {
    const c = fakeClock();
    const watch = new StallWatch(stallPolicy({ idleMs: 2000, pollMs: 500, clock: c.clock }));
    c.advance(1500);
    expect(watch.signal.aborted).toBe(false);
    c.advance(500);
    expect(watch.signal.aborted).toBe(true);
    expect(watch.stalled).toBe(true);
    expect((watch.failure() as BodyError).kind).toBe("stall");
    watch.stop();
  });
});

describe("a Response from a loopback server (Bun's native writer)", () => {
  let server: ReturnType<typeof Bun.serve>;
  let release: () => void = () => {};
  const body = Buffer.alloc(EARLY_SYNC_BYTES + 3 * MIB, 7);
  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(req) {
        const path = new URL(req.url).pathname;
        if (path === "/small") return new Response("a small body");
        // The big body stops short of its end until the test releases it: the early sync must
        // come while the transfer still runs.
        const held = new Promise<void>((r) => (release = r));
        return new Response(
          new ReadableStream({
            async pull(ctl) {
              ctl.enqueue(body.subarray(0, EARLY_SYNC_BYTES + MIB));
              await held;
              ctl.enqueue(body.subarray(EARLY_SYNC_BYTES + MIB));
              ctl.close();
            },
          }),
          { headers: { "Content-Length": String(body.length) } },
        );
      },
    });
  });
  afterAll(() => server.stop(true));
  afterEach(() => release());

  test("a body lands whole; the count is the file's size", async () => {
    const file = await newFile();
    const res = await fetch(`http://127.0.0.1:${server.port}/small`);
    const bytes = await bodyToFile(res, file, { expected: 12 });
    await file.commit();
    expect(bytes).toBe(12);
    expect(readFileSync(file.finalPath, "utf8")).toBe("a small body");
  });

  test("the file is synced early and the observer told while the body still streams", async () => {
    const file = await newFile();
    const sync = file.syncEarly.bind(file);
    const sizes: number[] = [];
    file.syncEarly = () => {
      sizes.push(-1);
      release(); // only an early sync lets the body end
      sync();
    };
    const res = await fetch(`http://127.0.0.1:${server.port}/big`);
    const bytes = await bodyToFile(res, file, { expected: body.length, onGrowth: (s) => sizes.push(s) });
    await file.commit();
    expect(bytes).toBe(body.length);
    expect(sizes).toContain(-1);
    expect(sizes.find((s) => s > 0)).toBeGreaterThan(0);
    expect(readdirSync(dir).filter((f) => f.includes(".rke-tmp-"))).toEqual([]);
  });

  test("a stall cuts the connection under the native writer (the watch's signal went to fetch)", async () => {
    const c = fakeClock();
    const file = await newFile();
    const watch = new StallWatch(stallPolicy({ idleMs: 5000, pollMs: 100, clock: c.clock }));
    const res = await fetch(`http://127.0.0.1:${server.port}/big`, { signal: watch.signal });
    const p = bodyToFile(res, file, { watch });
    // Within one advance no I/O runs: only its first poll can see growth, so by 5000 + one poll
    // nothing has arrived for 5000 on this clock.
    c.advance(5000 + 100);
    const e = await rejection(p);
    watch.stop();
    await file.abort();
    expect((e as BodyError).kind).toBe("stall");
    expect(readdirSync(dir).filter((f) => f.includes(".rke-tmp-"))).toEqual([]);
  });
});
