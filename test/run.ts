/**
 * `npm test`: builds the host executable (tests run the compiled binary under its tool names),
 * runs `bun test`, then prints the plain closing line CI reads: `N passed, N failed, N skipped`
 * (bun's own summary is not in that form), counted from bun's JUnit report.
 * Extra arguments are passed to `bun test` (e.g. a path filter).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build, ROOT } from "../compile/build.ts";
import { sweep } from "./support/secrets.ts";

const results = join(ROOT, ".test-results");
const junit = join(results, "junit.xml");
mkdirSync(results, { recursive: true });
rmSync(junit, { force: true });
rmSync(join(results, "captured"), { recursive: true, force: true });
rmSync(join(results, "secrets"), { recursive: true, force: true });

if (!process.argv.includes("--no-build")) build("x64");
const extra = process.argv.slice(2).filter((a) => a !== "--no-build");

const r = spawnSync(process.execPath, ["test", "--timeout=30000", "--reporter=junit", `--reporter-outfile=${junit}`, ...extra], {
  cwd: ROOT,
  stdio: "inherit",
  env: { ...process.env, RKE_TOOLS_TEST_RESULTS: results },
});

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(junit)) {
  const xml = readFileSync(junit, "utf8");
  // Count <testcase> elements: each holds <failure>, <skipped/>, or neither.
  for (const m of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = m[2] ?? "";
    if (/<failure\b|<error\b/.test(body)) failed++;
    else if (/<skipped\b/.test(body)) skipped++;
    else passed++;
  }
}
if (r.status !== 0 && failed === 0) failed = 1; // bun failed outside any test (load error, no tests)

// The secrets sweep counts as one more test: no declared secret may appear in any captured output.
const s = sweep(results);
if (s.hits.length === 0) {
  passed++;
  process.stdout.write(`secrets sweep: ${s.files} captured outputs, ${s.secrets} declared secrets, no hit\n`);
} else {
  failed++;
  for (const h of s.hits) process.stdout.write(`secrets sweep: ${h.what} in ${join(results, "captured", h.file)}\n`);
}
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(s.hits.length > 0 ? 1 : (r.status ?? 1));
