/**
 * `npm run docs:env`: writes the README's table of environment knobs from their declarations
 * (src/tools/knobs.ts), between the `<!-- knobs:start -->` and `<!-- knobs:end -->` markers.
 * test/env/knobs.test.ts fails when the README and the declarations disagree.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderKnobTable } from "../src/tools/knobs.ts";
import { ROOT } from "./build.ts";

export const START = "<!-- knobs:start -->";
export const END = "<!-- knobs:end -->";

export function withKnobTable(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} block`);
  return `${readme.slice(0, a + START.length)}\n${renderKnobTable()}${readme.slice(b)}`;
}

if (import.meta.main) {
  const path = join(ROOT, "README.md");
  writeFileSync(path, withKnobTable(readFileSync(path, "utf8")));
  process.stdout.write(`wrote the knob table in ${path}\n`);
}
