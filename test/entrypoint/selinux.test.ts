import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getContext, relabelTree, setContext, withType } from "../../src/tools/entrypoint/selinux.ts";
import { describeWith, isRoot } from "../support/components.ts";

describe("SELinux context type", () => {
  test.each([
    ["system_u:object_r:etc_t:s0", "system_u:object_r:svirt_sandbox_file_t:s0"],
    ["system_u:object_r:usr_t:s0:c1,c2", "system_u:object_r:svirt_sandbox_file_t:s0:c1,c2"],
    ["user_u:role_r:type_t", "user_u:role_r:svirt_sandbox_file_t"],
    ["unlabeled", undefined],
  ])("%s → %s", (ctx, expected) => expect(withType(ctx, "svirt_sandbox_file_t")).toBe(expected));
});

// security.* attributes need CAP_SYS_ADMIN; without an SELinux kernel they are plain stored values.
describeWith([isRoot], "chcon -Rt equivalent on a real tree", () => {
  const dir = mkdtempSync(join(tmpdir(), "selinux-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("every file, directory and link below gets the new type; links are not followed", () => {
    const root = join(dir, "cni");
    mkdirSync(join(root, "net.d"), { recursive: true });
    writeFileSync(join(root, "net.d", "10-canal.conflist"), "{}");
    const outside = join(dir, "outside");
    writeFileSync(outside, "x");
    symlinkSync(outside, join(root, "link"));
    for (const p of [root, join(root, "net.d"), join(root, "net.d", "10-canal.conflist"), join(root, "link"), outside]) setContext(p, "system_u:object_r:etc_t:s0");
    return relabelTree(root, "svirt_sandbox_file_t").then((changed) => {
      expect(changed).toBe(4);
      for (const p of [root, join(root, "net.d"), join(root, "net.d", "10-canal.conflist"), join(root, "link")])
        expect(getContext(p)).toBe("system_u:object_r:svirt_sandbox_file_t:s0");
      expect(getContext(outside)).toBe("system_u:object_r:etc_t:s0");
    });
  });

  test("unlabelled files are reported after the rest is relabelled", async () => {
    const root = join(dir, "partial");
    mkdirSync(root);
    writeFileSync(join(root, "a"), "");
    setContext(root, "system_u:object_r:etc_t:s0");
    const err = await relabelTree(root, "svirt_sandbox_file_t").catch((e: unknown) => e);
    expect((err as Error).message).toBe(`Cannot relabel 1 of the files under ${root}: ${join(root, "a")}: no SELinux label to change`);
    expect(getContext(root)).toBe("system_u:object_r:svirt_sandbox_file_t:s0");
  });
});
