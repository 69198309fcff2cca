import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode } from "../../src/errors.ts";
import { mount, MS_SHARED, parseMountInfo, propagationOf } from "../../src/sys/index.ts";
import { describeWith, hasCommand, isRoot } from "../support/components.ts";

const FIXTURE = join(import.meta.dir, "fixtures/mount.ts");

describeWith([isRoot, hasCommand("unshare", "util-linux"), hasCommand("setpriv", "util-linux")], "mount and umount in a private mount namespace", () => {
  test("tmpfs, shared, bind, private, umount, errors — as /proc/self/mountinfo shows them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sys-mount-"));
    try {
      const proc = Bun.spawn(["unshare", "-m", "--propagation", "private", process.execPath, FIXTURE, dir], { stdout: "pipe", stderr: "pipe" });
      const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      expect(err).toBe("");
      expect(code).toBe(0);
      const steps = Object.fromEntries(
        out
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { step: string } & Record<string, unknown>)
          .map((s) => [s.step, s]),
      );
      expect(steps.tmpfs).toEqual({ step: "tmpfs", mounted: true, fstype: "tmpfs", propagation: "private" });
      expect(steps.shared).toEqual({ step: "shared", mounted: true, fstype: "tmpfs", propagation: "shared" });
      expect(steps["bind-target"]).toEqual({ step: "bind-target", mounted: true, fstype: "tmpfs", propagation: "shared" });
      expect(steps.private).toEqual({ step: "private", mounted: true, fstype: "tmpfs", propagation: "private" });
      expect(steps["sub-after"]).toEqual({ step: "sub-after", mounted: false });
      expect(steps.umount).toEqual({ step: "umount", mounted: false });
      expect(steps["umount-again"]).toEqual({
        step: "umount-again",
        error: { code: ErrorCode.Io, errnoName: "EINVAL", message: `Cannot unmount ${dir}: Invalid argument (EINVAL)` },
      });
      expect(steps["bad-fstype"]).toEqual({
        step: "bad-fstype",
        error: { code: ErrorCode.Io, errnoName: "ENODEV", message: `Cannot mount ${dir}: No such device (ENODEV)` },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("without privilege: EPERM with a hint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sys-mount-"));
    try {
      const script = `import { mount, MS_SHARED } from ${JSON.stringify(join(import.meta.dir, "../../src/sys/index.ts"))};
try { mount(null, ${JSON.stringify(dir)}, null, MS_SHARED); } catch (e) { process.stdout.write(e.message); }`;
      const proc = Bun.spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
      const out = await new Response(proc.stdout).text();
      expect(await proc.exited).toBe(0);
      expect(out).toBe(`Cannot mount ${dir}: Operation not permitted (EPERM); needs CAP_SYS_ADMIN (run as root, in a privileged container)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("mountinfo", () => {
  test("parses optional fields, octal escapes and propagation", () => {
    const text = [
      "36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue",
      "37 35 0:5 / /plain rw - tmpfs tmpfs rw",
      "38 35 0:6 / /slave rw master:3 - tmpfs tmpfs rw",
    ].join("\n");
    const m = parseMountInfo(text);
    expect(m[0]).toEqual({
      id: 36,
      parentId: 35,
      device: "98:0",
      root: "/mnt1",
      mountPoint: "/mnt/with space",
      options: "rw,noatime",
      optional: ["master:1", "shared:7"],
      fstype: "ext3",
      source: "/dev/root",
      superOptions: "rw,errors=continue",
    });
    expect(m.map(propagationOf)).toEqual(["shared", "private", "slave"]);
  });

  test("a target that does not exist is ENOENT", () => {
    expect(() => mount(null, "/nonexistent/sys-mount-test", null, MS_SHARED)).toThrow("Cannot mount /nonexistent/sys-mount-test: No such file or directory (ENOENT)");
  });
});
