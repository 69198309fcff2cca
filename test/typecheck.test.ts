import { expect, test } from "bun:test";
import { join } from "node:path";

// tsconfig.json is strict; a type error anywhere in src/, test/, compile/ or bench/ fails the suite.
test("the whole tree type-checks (tsc --noEmit, strict)", async () => {
  const root = join(import.meta.dir, "..");
  const proc = Bun.spawn([process.execPath, join(root, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", root], { stdout: "pipe", stderr: "pipe", cwd: root });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  expect(out).toBe("");
  expect(code).toBe(0);
}, 120_000);
