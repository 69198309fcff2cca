/**
 * Issue 7: what the entrypoint adds before a component starts. The "component" is /bin/true under
 * the component's name on PATH, so the time is start-up + facts + plan + execve. Max RSS is the
 * process's high-water mark, which execve carries over (so it is the entrypoint's own).
 */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { distDir } from "../compile/build.ts";
import { median, measure, mib, type Measured } from "./lib.ts";
import type { Bench } from "./run.ts";

const RUNS = 25;

const bench: Bench = {
  title: "entrypoint.sh: start to the component's execve",
  async run() {
    const dir = mkdtempSync(join(tmpdir(), "ep-bench-"));
    try {
      for (const c of ["kube-scheduler", "kube-proxy"]) symlinkSync("/bin/true", join(dir, c));
      const env = { PATH: dir, RKE_TOOLS_ENTRYPOINT_ROOT: dir };
      const ep = join(distDir("x64"), "entrypoint.sh");
      const cases: [string, string[], Record<string, string> | undefined][] = [
        ["entrypoint.sh kube-scheduler --v=2", [ep, "kube-scheduler", "--v=2"], env],
        ["entrypoint.sh kube-proxy --hostname-override=n1", [ep, "kube-proxy", "--hostname-override=n1"], env],
        ["/bin/true (process spawn floor)", ["/bin/true"], undefined],
      ];
      const rows: string[] = [];
      for (const [label, cmd, e] of cases) {
        measure(cmd, { env: e });
        const s: Measured[] = Array.from({ length: RUNS }, () => measure(cmd, { env: e }));
        if (s.some((m) => m.code !== 0)) throw new Error(`${label} failed`);
        rows.push(
          `| \`${label}\` | ${median(s.map((m) => m.wallMs)).toFixed(1)} ms | ${Math.min(...s.map((m) => m.wallMs)).toFixed(1)} ms | ${mib(median(s.map((m) => m.maxRssKiB)))} MiB |`,
        );
      }
      return `Median of ${RUNS} runs each (after one warm-up), wall time including process spawn, max RSS from GNU time.
The kubelet path adds one Docker API call and the mount work (exercised by the namespace tests,
not timed here).

| command | median | min | max RSS (median) |
|---|---|---|---|
${rows.join("\n")}
`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default bench;
