import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACL_ACCESS, getxattr, setxattr, SysError } from "../../src/sys/index.ts";
import { describeWith, hasCommand } from "../support/components.ts";

const dir = mkdtempSync(join(tmpdir(), "sys-xattr-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bytes = (s: string) => new TextEncoder().encode(s);

describe("xattr", () => {
  test("set, read back, absent is undefined", () => {
    const f = join(dir, "f");
    writeFileSync(f, "x");
    expect(getxattr(f, "user.rke-test")).toBeUndefined();
    setxattr(f, "user.rke-test", bytes("value"));
    expect(new TextDecoder().decode(getxattr(f, "user.rke-test"))).toBe("value");
    const big = bytes("v".repeat(3000)); // larger than the first read buffer
    setxattr(f, "user.rke-big", big);
    expect(getxattr(f, "user.rke-big")).toEqual(big);
  });

  test("noFollow acts on the link itself", () => {
    const f = join(dir, "target");
    writeFileSync(f, "x");
    setxattr(f, "user.rke-test", bytes("on target"));
    const link = join(dir, "link");
    symlinkSync(f, link);
    expect(new TextDecoder().decode(getxattr(link, "user.rke-test"))).toBe("on target");
    expect(getxattr(link, "user.rke-test", { noFollow: true })).toBeUndefined();
    // user.* attributes are not allowed on symbolic links: the kernel's EPERM, as a SysError.
    expect(() => setxattr(link, "user.rke-test", bytes("x"), { noFollow: true })).toThrow(SysError);
  });

  test("a missing file is ENOENT", () => {
    expect(() => getxattr(join(dir, "missing"), "user.x")).toThrow(`Cannot read user.x of ${join(dir, "missing")}: No such file or directory (ENOENT)`);
  });
});

describeWith([hasCommand("setfacl", "Debian acl"), hasCommand("getfacl", "Debian acl")], "ACL copy through system.posix_acl_access", () => {
  test("an ACL copied from one file to another reads back the same in getfacl", () => {
    const a = join(dir, "acl-a");
    const b = join(dir, "acl-b");
    writeFileSync(a, "a", { mode: 0o640 });
    writeFileSync(b, "b", { mode: 0o600 });
    expect(spawnSync("setfacl", ["-m", "u:4242:r,g:4343:r", a]).status).toBe(0);
    setxattr(b, ACL_ACCESS, getxattr(a, ACL_ACCESS)!);
    const acl = (p: string) => spawnSync("getfacl", ["-c", p], { encoding: "utf8" }).stdout;
    expect(acl(b)).toBe(acl(a));
    expect(acl(b)).toContain("user:4242:r--");
  });
});
