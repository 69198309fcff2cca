/**
 * `npm run bench [topic…]`: runs bench/<topic>.bench.ts (all when none named), writes each result to
 * docs/bench/<topic>.md, then assembles docs/benchmarks.md from every section present, with the
 * machine it ran on. Benchmarks measure; tests never assert on time.
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { cpus, totalmem, release } from "node:os";
import { join } from "node:path";
import { build, ROOT } from "../compile/build.ts";

export interface Bench {
  title: string;
  /** Returns a markdown section (without its heading). */
  run(): Promise<string>;
}

const benchDir = join(ROOT, "bench");
const outDir = join(ROOT, "docs", "bench");
mkdirSync(outDir, { recursive: true });

// `--assemble` rebuilds docs/benchmarks.md from the sections already in docs/bench/, running nothing.
const assembleOnly = process.argv.includes("--assemble");
const wanted = process.argv.slice(2).filter((a) => a !== "--assemble");
const topics = readdirSync(benchDir)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.replace(/\.bench\.ts$/, ""))
  .filter((t) => !assembleOnly && (wanted.length === 0 || wanted.includes(t)))
  .sort();

if (topics.length > 0) build("x64");
for (const topic of topics) {
  const mod = (await import(join(benchDir, `${topic}.bench.ts`))) as { default: Bench };
  process.stderr.write(`bench: ${topic}: ${mod.default.title}\n`);
  const body = await mod.default.run();
  writeFileSync(join(outDir, `${topic}.md`), `## ${mod.default.title}\n\n_Run ${new Date().toISOString().slice(0, 16)}Z._\n\n${body.trim()}\n`);
}

const sections = readdirSync(outDir)
  .filter((f) => f.endsWith(".md"))
  .sort()
  .map((f) => readFileSync(join(outDir, f), "utf8"));
const cpu = cpus()[0]?.model ?? "unknown";
const header = `# Benchmarks

Written by \`npm run bench\` (bench/run.ts); each section by its own bench/<topic>.bench.ts, kept in
docs/bench/. Machine of the last run: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}.
This machine class is shared and noisy: compare numbers side by side within a section, not across runs.
Every timed row is a median of at least 3 runs; etcd runs on the same 2 cores as the tool it serves.

Where each section sets us beside the physical limit:

| section | limit it is compared with |
|---|---|
| Compression limits | GNU \`gzip\`, \`pigz -p2\`, \`zstd -T2\` on the same data |
| etcd-backup save --once | \`etcdctl snapshot save\` alone on the same database, at ~1 GiB and ≥ 4 GiB (peak memory at both) |
| save --once: where the peak memory is | etcdctl's peak, each split into anonymous and file-backed (executable) pages |
| Archive formats | \`etcdctl snapshot save\` alone, for zip, tar.gz and tar.zst |
| Restore | \`unzip\` (extraction), nginx over mutual TLS and \`curl\` (peer download) |
| S3 | \`curl\` single-stream PUT and GET against the same gateway |
| Large clusters (1, 4, 8 GiB) | \`etcdctl snapshot save\` alone; \`unzip -t\` and Python's zipfile on the same ZIP64 archive |
| Start-up, entrypoint, node helpers, package | process spawn (\`/bin/true\`), \`nginx -t\` |
| Image | a plain \`podman import\` of the base and \`podman save\` of the same image (the engine's own floor) |
`;
writeFileSync(join(ROOT, "docs", "benchmarks.md"), [header, ...sections].join("\n"));
process.stderr.write(`bench: wrote docs/benchmarks.md (${sections.length} sections)${existsSync(outDir) ? "" : ""}\n`);
