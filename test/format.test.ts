import { expect, test } from "bun:test";
import { join } from "node:path";

// biome.json: the formatter only (no lint rules). `npm run format` rewrites; here a file that is not
// formatted fails the suite, with the files named in the output.
test("the tree is formatted (biome format, check mode)", async () => {
  const root = join(import.meta.dir, "..");
  const proc = Bun.spawn([join(root, "node_modules/.bin/biome"), "format", "--max-diagnostics=20", root], { stdout: "pipe", stderr: "pipe", cwd: root });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(code === 0 ? "" : `${out}${err}`).toBe("");
  expect(code).toBe(0);
}, 60_000);
