/**
 * The secrets sweep (issue 8): every output the tests capture from our executable is kept under
 * $RKE_TOOLS_TEST_RESULTS/captured, every secret a test uses is declared under .../secrets, and
 * test/run.ts fails the run when any declared secret (or any PEM private key) appears in any
 * captured output. Declared: S3 keys, private keys of the test PKI, registry credentials, tokens.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const results = process.env.RKE_TOOLS_TEST_RESULTS;

/** Records values that must never appear in any output of our executable. Short values are ignored. */
export function declareSecret(...values: (string | undefined)[]): void {
  if (!results) return;
  const dir = join(results, "secrets");
  mkdirSync(dir, { recursive: true });
  for (const v of values) {
    if (!v || v.length < 8) continue;
    writeFileSync(join(dir, createHash("sha256").update(v).digest("hex").slice(0, 16)), v);
  }
}

/** Keeps one captured output of our executable for the sweep. */
export function recordOutput(label: string, ...outputs: string[]): void {
  if (!results) return;
  const dir = join(results, "captured");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${Date.now()}-${randomBytes(4).toString("hex")}.log`), `# ${label}\n${outputs.join("\n")}`);
}

export interface SweepHit {
  file: string;
  what: string;
}

/** Scans every captured output for declared secrets and PEM private keys. */
export function sweep(dir: string): { files: number; secrets: number; hits: SweepHit[] } {
  const captured = join(dir, "captured");
  const secretDir = join(dir, "secrets");
  const secrets = existsSync(secretDir) ? readdirSync(secretDir).map((f) => readFileSync(join(secretDir, f), "utf8")) : [];
  const files = existsSync(captured) ? readdirSync(captured) : [];
  const hits: SweepHit[] = [];
  for (const f of files) {
    // The first line is the label (the test's own command line, which may carry keys as flags):
    // only what our executable printed counts.
    const raw = readFileSync(join(captured, f), "utf8");
    const text = raw.slice(raw.indexOf("\n") + 1);
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) hits.push({ file: f, what: "a PEM private key" });
    for (const s of secrets) if (text.includes(s)) hits.push({ file: f, what: `declared secret ${s.slice(0, 3)}…(${s.length} chars)` });
  }
  return { files: files.length, secrets: secrets.length, hits };
}
