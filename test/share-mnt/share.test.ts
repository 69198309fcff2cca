import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMountInfo, propagationOf } from "../../src/sys/index.ts";
import { lastLine, runTool, toolPath } from "../support/bin.ts";
import { describeWith, hasCommand, isRoot } from "../support/components.ts";
import { recordOutput } from "../support/secrets.ts";

const work = mkdtempSync(join(tmpdir(), "share-mnt-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `script` as root in a new, private mount namespace; sections are split by "=== name" lines. */
async function inPrivateNamespace(script: string): Promise<Record<string, string>> {
  const proc = Bun.spawn(["unshare", "-m", "--propagation", "private", "sh", "-c", script], {
    env: { PATH: process.env.PATH, TOOL: toolPath("share-mnt") },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  recordOutput("share-mnt", out, err);
  expect(code).toBe(0);
  const sections: Record<string, string> = {};
  let current = "";
  for (const line of out.trimEnd().split("\n")) {
    const m = /^=== (\S+)$/.exec(line);
    if (m) sections[(current = m[1]!)] = "";
    else if (current) sections[current] += `${line}\n`;
  }
  return sections;
}

function propagation(mountinfo: string, path: string): string | undefined {
  const m = parseMountInfo(mountinfo)
    .filter((x) => x.mountPoint === path)
    .at(-1);
  return m && propagationOf(m);
}

describeWith([isRoot, hasCommand("unshare", "util-linux")], "share-mnt in a private mount namespace", () => {
  test("makes a mount point and the mounts under it shared; refuses a path that is not a mount point; runs the command after --", async () => {
    const a = join(work, "a");
    const b = join(work, "b");
    mkdirSync(a);
    mkdirSync(b);
    const s = await inPrivateNamespace(`
      mount -t tmpfs tmpfs ${a} && mkdir ${a}/sub && mount -t tmpfs tmpfs ${a}/sub || exit 9
      echo "=== before"; cat /proc/self/mountinfo
      echo "=== share"; "$TOOL" ${a} -- norun 2>&1; echo "rc=$?"
      echo "=== after"; cat /proc/self/mountinfo
      echo "=== notmount"; "$TOOL" ${b} 2>&1; echo "rc=$?"
      echo "=== missing"; "$TOOL" ${work}/nope ${a} 2>&1; echo "rc=$?"
      echo "=== command"; "$TOOL" ${a} -- sh -c 'echo "ran as $0"' exec-test 2>/dev/null; echo "rc=$?"
    `);
    expect(propagation(s.before!, a)).toBe("private");
    expect(propagation(s.before!, `${a}/sub`)).toBe("private");
    expect(s.share).toContain(`msg="Made ${a} shared (recursively)"`);
    expect(s.share).toEndWith("rc=0\n");
    expect(propagation(s.after!, a)).toBe("shared");
    expect(propagation(s.after!, `${a}/sub`)).toBe("shared");
    expect(s.notmount).toContain(`level=fatal msg="Cannot share ${b}: not a mount point (bind-mount it onto itself first: mount --bind ${b} ${b})"`);
    expect(s.notmount).toEndWith("rc=1\n");
    expect(s.missing).toContain(`level=fatal msg="Cannot share ${work}/nope: no such file or directory"`);
    expect(s.missing).toContain(`msg="Made ${a} shared (recursively)"`); // the other path is still done
    expect(s.missing).toEndWith("rc=1\n");
    expect(s.command).toBe("ran as exec-test\nrc=0\n");
  });
});

describeWith([isRoot, hasCommand("setpriv", "util-linux")], "share-mnt without privilege", () => {
  test("EPERM says what is missing", async () => {
    const proc = Bun.spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", toolPath("share-mnt"), "/"], {
      env: { PATH: process.env.PATH },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(1);
    expect(lastLine(err)).toContain('level=fatal msg="Cannot mount /: Operation not permitted (EPERM); needs CAP_SYS_ADMIN (run as root, in a privileged container)"');
  });
});

describe("share-mnt usage", () => {
  test("no path: usage line, exit 1", async () => {
    const r = await runTool("share-mnt", ["--", "norun"]);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain("Usage: share-mnt PATH... [-- norun | -- COMMAND ARGS...]: no path given");
  });
});
