/** Issue 2: start-up of the compiled executable (`--help`) and its memory. Goal ≤ 25 ms, ≤ 40 MB. */
import { binaryPath, distDir } from "../compile/build.ts";
import { join } from "node:path";
import { median, measure, mib, type Measured } from "./lib.ts";
import type { Bench } from "./run.ts";

const RUNS = 25;

function series(cmd: string[]): Measured[] {
  measure(cmd); // warm the page cache
  return Array.from({ length: RUNS }, () => measure(cmd));
}

const bench: Bench = {
  title: "Start-up of the compiled executable",
  async run() {
    const rows: string[] = [];
    const cases: [string, string[]][] = [
      ["rke-tools --help", [binaryPath("x64"), "--help"]],
      ["rke-etcd-backup etcd-backup save --help", [join(distDir("x64"), "rke-etcd-backup"), "etcd-backup", "save", "--help"]],
      ["/bin/true (process spawn floor)", ["/bin/true"]],
    ];
    for (const [label, cmd] of cases) {
      const s = series(cmd);
      rows.push(
        `| \`${label}\` | ${median(s.map((m) => m.wallMs)).toFixed(1)} ms | ${Math.min(...s.map((m) => m.wallMs)).toFixed(1)} ms | ${mib(median(s.map((m) => m.maxRssKiB)))} MiB |`,
      );
    }
    return `Median of ${RUNS} runs each (after one warm-up), wall time including process spawn, max RSS from GNU time.
Goal (issue 2): ≤ 25 ms and ≤ 40 MB. The original Go binary: 8.7 ms mean, 7.8 MB (docs/contract.md §o-13).

| command | median | min | max RSS (median) |
|---|---|---|---|
${rows.join("\n")}
`;
  },
};
export default bench;
