/**
 * src/fs/atomic.ts's streamToFileAtomic and writeFileAtomic: chunks in, one file under its final name, or nothing when
 * the source fails or the signal aborts (also while the source hangs). The appending itself
 * (AtomicFile.appendChunks) is also driven by test/net/body-to-file.test.ts.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { streamToFileAtomic, writeFileAtomic } from "../../src/fs/atomic.ts";

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "atomic-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

test("every chunk lands under the final name, 0600, and the byte count is returned", async () => {
  const dest = join(dir, "snap.zip");
  expect(await streamToFileAtomic(dest, chunks("ab", "cde", ""))).toBe(5);
  expect(readFileSync(dest, "utf8")).toBe("abcde");
  expect(statSync(dest).mode & 0o777).toBe(0o600);
  expect(readdirSync(dir)).toEqual(["snap.zip"]);
});

test("a source that fails part-way leaves nothing, and its error comes out as it was", async () => {
  const boom = new Error("read failed");
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield Buffer.from("half");
    throw boom;
  }
  await expect(streamToFileAtomic(join(dir, "snap.zip"), failing())).rejects.toBe(boom);
  expect(readdirSync(dir)).toEqual([]);
});

test("an abort ends the wait on a source that hangs, leaves nothing and tells the source to stop", async () => {
  const ac = new AbortController();
  const reason = new Error("save cancelled");
  let returned = false;
  const hanging: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => {
      let first = true;
      return {
        next: async () => {
          if (first) {
            first = false;
            return { done: false, value: Buffer.from("x") };
          }
          queueMicrotask(() => ac.abort(reason)); // while the second chunk never comes
          return new Promise<IteratorResult<Uint8Array>>(() => {});
        },
        return: async () => {
          returned = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  await expect(streamToFileAtomic(join(dir, "snap.zip"), hanging, { signal: ac.signal })).rejects.toBe(reason);
  expect(readdirSync(dir)).toEqual([]);
  expect(returned).toBe(true);
});

test("writeFileAtomic's beforeCommit sees the written temporary file; what it throws leaves the old file alone and no temporary", async () => {
  const dest = join(dir, "nginx.conf");
  await writeFileAtomic(dest, "old");
  let seen = "";
  await writeFileAtomic(dest, "good", { beforeCommit: async (tmp) => void (seen = readFileSync(tmp, "utf8")) });
  expect({ seen, now: readFileSync(dest, "utf8") }).toEqual({ seen: "good", now: "good" });
  const refused = new Error("nginx: [emerg] unknown directive");
  await expect(writeFileAtomic(dest, "bad", { beforeCommit: async () => Promise.reject(refused) })).rejects.toBe(refused);
  expect(readFileSync(dest, "utf8")).toBe("good");
  expect(readdirSync(dir)).toEqual(["nginx.conf"]);
});
