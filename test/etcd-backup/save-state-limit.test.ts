/** save's state file is refused above what every reader accepts (issue 19.13), without reading it whole. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_STATE_BYTES } from "../../src/archive/limits.ts";
import { ErrorCode, isRkeToolsError } from "../../src/errors.ts";
import { readStateFile } from "../../src/tools/etcd-backup/save/archive.ts";
import { makeDirs, type Dirs } from "./save-helpers.ts";

let d: Dirs;
beforeEach(() => (d = makeDirs()));
afterEach(() => d.cleanup());

// Sparse files: the sizes cost no disk.
test("exactly the readers' limit is archived", async () => {
  writeFileSync(join(d.kubernetes, "max.rkestate"), "");
  truncateSync(join(d.kubernetes, "max.rkestate"), MAX_STATE_BYTES);
  const s = await readStateFile(d.kubernetes, "max");
  expect(s?.data.byteLength).toBe(MAX_STATE_BYTES);
});

test("one byte more is refused as input (not retried), naming the file and the limit", async () => {
  writeFileSync(join(d.kubernetes, "big.rkestate"), "");
  truncateSync(join(d.kubernetes, "big.rkestate"), 3 * 2 ** 30); // the 3 GiB of the report
  const e = await readStateFile(d.kubernetes, "big").catch((x) => x);
  expect(isRkeToolsError(e, ErrorCode.InvalidInput)).toBe(true);
  expect((e as Error).message).toBe(`Cannot read state file ${join(d.kubernetes, "big.rkestate")}: it holds 3221225472 bytes; a restore reads at most 67108864 (64 MiB)`);
});
