import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CASES, TRANSCRIPTS_DIR, transcript } from "./transcripts.ts";

describe("CLI transcripts (help, usage errors, bad input) are what was recorded", () => {
  for (const c of CASES) {
    test(c.id, async () => {
      const file = join(TRANSCRIPTS_DIR, `${c.id}.txt`);
      expect(existsSync(file)).toBe(true);
      expect(await transcript(c)).toBe(readFileSync(file, "utf8"));
    });
  }

  test("no recorded transcript is left without its case", () => {
    const ids = new Set(CASES.map((c) => `${c.id}.txt`));
    expect(readdirSync(TRANSCRIPTS_DIR).filter((f) => !ids.has(f))).toEqual([]);
  });
});
