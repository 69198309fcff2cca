/**
 * Issue 8: the compression limits side by side on one file of Kubernetes-like values (the generator
 * of test/support/etcd.ts): GNU gzip, pigz, zstd, against our zip writer with its deflate engines.
 * Our rows run in this process (the writer alone, no etcd), so they show the archive step's ceiling.
 */
import { spawnSync } from "node:child_process";
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parallelDeflater } from "../src/archive/deflate-parallel.ts";
import { streamDeflater } from "../src/archive/deflate.ts";
import { ZipWriter } from "../src/archive/zip-writer.ts";
import { k8sValue } from "../test/support/etcd.ts";
import type { Bench } from "./run.ts";

const SIZE = 256 * 2 ** 20;
const RUNS = 3;

type Result = { s: number; bytes: number };

/** Runs `once` RUNS times; the median wall time (the output size does not change). */
async function medianOf(once: () => Result | undefined | Promise<Result | undefined>): Promise<Result | undefined> {
  const all: Result[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await once();
    if (!r) return undefined;
    all.push(r);
  }
  all.sort((a, b) => a.s - b.s);
  return all[Math.floor(all.length / 2)];
}

function makeInput(path: string): void {
  const fd = openSync(path, "w");
  for (let written = 0, i = 0; written < SIZE; i++) {
    const v = k8sValue(i, 64 * 1024);
    writeSync(fd, v);
    written += v.byteLength;
  }
  closeSync(fd);
}

function external(cmd: string): Result | undefined {
  const t = performance.now();
  const r = spawnSync("sh", ["-c", `${cmd} | wc -c`], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  return { s: (performance.now() - t) / 1000, bytes: Number(r.stdout.trim()) };
}

async function ours(input: string, deflater: ReturnType<typeof streamDeflater>): Promise<Result> {
  let bytes = 0;
  const t = performance.now();
  const zip = new ZipWriter({ write: async (c) => void (bytes += c.byteLength) }, { deflater });
  await zip.add("/backup/bench", 0o600, createReadStream(input, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Uint8Array>);
  await zip.finish();
  return { s: (performance.now() - t) / 1000, bytes };
}

const bench: Bench = {
  title: "Compression limits: gzip, pigz, zstd and our zip writer",
  async run() {
    const dir = mkdtempSync(join(tmpdir(), "bench-compress-"));
    const input = join(dir, "snapshot.db");
    try {
      makeInput(input);
      const raw = statSync(input).size;
      const rows: [string, Result | undefined][] = [
        ["GNU `gzip -6`", await medianOf(() => external(`gzip -6 -c ${input}`))],
        ["`pigz -6 -p2`", await medianOf(() => external(`pigz -6 -p 2 -c ${input}`))],
        ["`pigz -2 -p2`", await medianOf(() => external(`pigz -2 -p 2 -c ${input}`))],
        ["`zstd -3 -T2`", await medianOf(() => external(`zstd -3 -T2 -c ${input}`))],
        ["`zstd -1 -T2`", await medianOf(() => external(`zstd -1 -T2 -c ${input}`))],
        ["ours: zip, one zlib stream, level 6", await medianOf(() => ours(input, streamDeflater(6)))],
        ["ours: zip, parallel deflate, level 6", await medianOf(() => ours(input, parallelDeflater({ level: 6 })))],
        ["ours: zip, parallel deflate, level 4", await medianOf(() => ours(input, parallelDeflater({ level: 4 })))],
        ["ours: zip, parallel deflate, level 2 (save's default)", await medianOf(() => ours(input, parallelDeflater({ level: 2 })))],
      ];
      const load = spawnSync("cat", ["/proc/loadavg"], { encoding: "utf8" }).stdout.split(" ")[0];
      const lines = rows.map(([label, m]) =>
        m
          ? `| ${label} | ${m.s.toFixed(2)} s | ${(raw / 1e6 / m.s).toFixed(0)} MB/s | ${m.bytes.toLocaleString("en")} | ${(raw / m.bytes).toFixed(2)} |`
          : `| ${label} | not installed | | | |`,
      );
      return `Input: ${raw.toLocaleString("en")} bytes of generated Kubernetes-like values (64 KiB JSON objects with random ids
and base64 blobs), median of ${RUNS} runs each, load average ${load} at the end. Output discarded (\`| wc -c\`, or a counting sink for ours).

| compressor | wall | input MB/s | output bytes | ratio |
|---|---|---|---|---|
${lines.join("\n")}
`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default bench;
