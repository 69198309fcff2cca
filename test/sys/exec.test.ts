import { describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode } from "../../src/errors.ts";
import { execve, findExecutable, SysError } from "../../src/sys/index.ts";

const FIXTURE = join(import.meta.dir, "fixtures/exec.ts");

/** Runs the fixture: it execs `argv` (after printing its own PID) with `env`. */
async function viaFixture(argv: string[], env: Record<string, string>, extra: Record<string, string> = {}) {
  const proc = Bun.spawn([process.execPath, FIXTURE, ...argv], {
    env: { PATH: process.env.PATH, EXEC_ENV: JSON.stringify(env), ...extra },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { pid: proc.pid, stdout, stderr, code };
}

describe("execve", () => {
  test("replaces the process: same PID, signals neither blocked nor ignored", async () => {
    const r = await viaFixture(["cat", "/proc/self/status"], { PATH: "/usr/bin:/bin" });
    expect(r.code).toBe(0);
    expect(Number(/pid=(\d+)/.exec(r.stderr)?.[1])).toBe(r.pid); // the fixture's own PID, before exec
    expect(r.stdout).toContain("Name:\tcat\n");
    expect(r.stdout).toMatch(new RegExp(`^Pid:\\t${r.pid}$`, "m"));
    expect(r.stdout).toContain("SigBlk:\t0000000000000000");
    expect(r.stdout).toContain("SigIgn:\t0000000000000000"); // Bun ignores SIGPIPE and SIGXFSZ
  });

  test("the new program gets exactly the env given, argv as given", async () => {
    const r = await viaFixture(["env"], { PATH: "/usr/bin:/bin", ONLY_THIS: "a b=c" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("PATH=/usr/bin:/bin\nONLY_THIS=a b=c\n");
    const a = await viaFixture(["printf", "[%s]", "x y", "", "--z"], { PATH: "/usr/bin:/bin" });
    expect(a.stdout).toBe("[x y][][--z]");
  });

  test("descriptors the runtime opened for itself do not leak into the new program", async () => {
    const r = await viaFixture(["ls", "-l", "/proc/self/fd/"], { PATH: "/usr/bin:/bin" });
    expect(r.code).toBe(0);
    const fds = r.stdout.split("\n").filter((l) => l.includes(" -> ") && !/-> \/proc\/\d+\/fd$/.test(l));
    expect(fds.map((l) => /(\d+) -> /.exec(l)?.[1])).toEqual(["0", "1", "2"]);
  });

  test("keepFds passes a chosen descriptor, closes the others", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sys-exec-"));
    try {
      const kept = join(dir, "kept");
      const other = join(dir, "other");
      writeFileSync(kept, "k");
      writeFileSync(other, "o");
      const r = await viaFixture(["ls", "-l", "/proc/self/fd/"], { PATH: "/usr/bin:/bin" }, { EXEC_KEEP_FILE: kept, EXEC_EXTRA_FILE: other });
      expect(r.code).toBe(0);
      // Descriptors of the new program, minus the one ls reads /proc/self/fd with.
      const fds = r.stdout.split("\n").filter((l) => l.includes(" -> ") && !/-> \/proc\/\d+\/fd$/.test(l));
      const targets = fds.map((l) => l.replace(/^.* (\d+) -> (.*)$/, "$1 $2"));
      expect(targets.length).toBe(4);
      expect(targets[3]).toBe(`${/keep=(\d+)/.exec(r.stderr)?.[1]} ${kept}`);
      expect(r.stdout).not.toContain(other);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a missing program is an E_EXEC error naming it and errno", async () => {
    const r = await viaFixture(["/nonexistent/prog"], {});
    expect(r.code).toBe(9);
    expect(JSON.parse(r.stdout)).toEqual({
      code: ErrorCode.Exec,
      errnoName: "ENOENT",
      message: "Cannot execute /nonexistent/prog: No such file or directory (ENOENT)",
    });
  });

  test("in-process failures throw and leave the process running", () => {
    const dir = mkdtempSync(join(tmpdir(), "sys-exec-"));
    try {
      const notExec = join(dir, "script");
      writeFileSync(notExec, "#!/bin/sh\n");
      chmodSync(notExec, 0o644);
      let err: unknown;
      try {
        execve(notExec, ["script"], {});
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SysError);
      expect((err as SysError).errnoName).toBe("EACCES");
      expect((err as SysError).message).toBe(`Cannot execute ${notExec}: Permission denied (EACCES)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a NUL byte in an argument is refused before the call", () => {
    expect(() => execve("/bin/true", ["true", "a\0b"], {})).toThrow("argv[1] contains a NUL byte");
  });

  test("findExecutable follows PATH like execvp", () => {
    expect(findExecutable("sh", "/nonexistent:/bin")).toBe("/bin/sh");
    expect(findExecutable("./x", "/bin")).toBe("./x");
    expect(() => findExecutable("no-such-program-here", "/bin")).toThrow("Cannot execute no-such-program-here: executable file not found in $PATH");
  });
});
