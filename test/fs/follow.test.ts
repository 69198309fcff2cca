/**
 * src/fs/follow.ts: a file read behind its writer into a ByteSink, on the ticks of a clock the test
 * moves (test/support/clock.ts) or on the writer's `grown()`, never by waiting on the wall clock.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, isRkeToolsError } from "../../src/errors.ts";
import { FileFollower, DEFAULT_FOLLOW_POLL_MS } from "../../src/fs/follow.ts";
import { fakeClock } from "../support/clock.ts";
import { rejection } from "../support/rejection.ts";

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "follow-"));
  path = join(dir, "growing");
  writeFileSync(path, "");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A sink that keeps copies of its chunks and lets the test wait until it holds `n` bytes. */
function collector() {
  const chunks: Buffer[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  const bytes = () => chunks.reduce((a, c) => a + c.byteLength, 0);
  return {
    chunks,
    text: () => Buffer.concat(chunks).toString(),
    sink: {
      write(chunk: Uint8Array) {
        chunks.push(Buffer.from(chunk)); // a copy: the follower reuses its buffer
        if (waiter && bytes() >= waiter.n) waiter.resolve();
      },
    },
    holds(n: number): Promise<void> {
      if (bytes() >= n) return Promise.resolve();
      return new Promise((resolve) => (waiter = { n, resolve }));
    },
  };
}

/** One turn of the event loop: what a follower would do unasked, it has had the chance to. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

test("reads what lands on each tick, in order, and the rest at finish", async () => {
  const t = fakeClock();
  const out = collector();
  const f = new FileFollower(path, out.sink, { clock: t.clock });
  appendFileSync(path, "etcd ");
  await turn();
  expect(out.text()).toBe(""); // nothing unasked: no tick yet
  t.advance(DEFAULT_FOLLOW_POLL_MS);
  await out.holds(5);
  expect(f.read).toBe(5);
  appendFileSync(path, "snapshot");
  t.advance(DEFAULT_FOLLOW_POLL_MS);
  await out.holds(13);
  appendFileSync(path, " end"); // never ticked: finish reads it
  expect(await f.finish()).toBe(17);
  expect(out.text()).toBe("etcd snapshot end");
  expect(t.active).toBe(0);
  expect(openOn(path)).toBe(0);
});

test("the writer's grown() reads at once, without a tick", async () => {
  const t = fakeClock();
  const out = collector();
  const f = new FileFollower(path, out.sink, { clock: t.clock });
  appendFileSync(path, "abc");
  f.grown();
  await out.holds(3);
  expect(out.text()).toBe("abc");
  await f.finish();
});

test("reads at most chunkBytes at a time into the sink", async () => {
  const t = fakeClock();
  const out = collector();
  const f = new FileFollower(path, out.sink, { clock: t.clock, chunkBytes: 4 });
  appendFileSync(path, "0123456789");
  f.grown();
  await out.holds(10);
  expect(out.chunks.map((c) => c.toString())).toEqual(["0123", "4567", "89"]);
  appendFileSync(path, "abcdef");
  expect(await f.finish()).toBe(16);
  expect(out.chunks.map((c) => c.toString())).toEqual(["0123", "4567", "89", "abcd", "ef"]);
});

test("an async sink is awaited before the next read", async () => {
  const t = fakeClock();
  const seen: string[] = [];
  let inFlight = 0;
  const sink = {
    async write(chunk: Uint8Array) {
      inFlight++;
      expect(inFlight).toBe(1);
      const copy = Buffer.from(chunk).toString();
      await turn();
      seen.push(copy);
      inFlight--;
    },
  };
  const f = new FileFollower(path, sink, { clock: t.clock, chunkBytes: 2 });
  appendFileSync(path, "abcdef");
  f.grown();
  f.grown(); // a second notice while a pass runs adds no second reader
  t.advance(DEFAULT_FOLLOW_POLL_MS);
  expect(await f.finish()).toBe(6);
  expect(seen).toEqual(["ab", "cd", "ef"]);
});

test("an aborted signal stops the reading; finish rejects with E_ABORTED and closes the file", async () => {
  const t = fakeClock();
  const out = collector();
  const ac = new AbortController();
  const f = new FileFollower(path, out.sink, { clock: t.clock, signal: ac.signal });
  appendFileSync(path, "abc");
  ac.abort(new Error("download failed"));
  expect(t.active).toBe(0);
  f.grown();
  await turn();
  expect(out.text()).toBe("");
  const e = await rejection(f.finish());
  expect(isRkeToolsError(e, ErrorCode.Aborted)).toBe(true);
  expect(openOn(path)).toBe(0);
});

test("a sink's error stops the reading and is finish's rejection", async () => {
  const t = fakeClock();
  const boom = new Error("sink broke");
  const f = new FileFollower(path, { write: () => Promise.reject(boom) }, { clock: t.clock });
  appendFileSync(path, "abc");
  f.grown();
  await expect(f.finish()).rejects.toBe(boom);
  expect(t.active).toBe(0);
});

test("stop() ends the ticker and closes the file, twice is harmless; finish after it throws", async () => {
  const t = fakeClock();
  const out = collector();
  const f = new FileFollower(path, out.sink, { clock: t.clock });
  expect(openOn(path)).toBe(1);
  await f.stop();
  await f.stop();
  expect(t.active).toBe(0);
  expect(openOn(path)).toBe(0);
  await expect(f.finish()).rejects.toThrow("already finished");
});

test("a missing file throws when the follower is made", () => {
  expect(() => new FileFollower(join(dir, "absent"), collector().sink)).toThrow(/ENOENT/);
});

/** How many of this process's descriptors are open on `file` (/proc/self/fd). */
function openOn(file: string): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false; // the descriptor readdir itself used, closed by now
    }
  }).length;
}
