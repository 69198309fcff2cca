/**
 * `list` when the backup folder is not one it can read: one line naming the folder and what is
 * wrong, exit 1, never Node's "ENOENT: no such file or directory, scandir …".
 */
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lastLine, runTool, toolPath } from "../support/bin.ts";
import { describeWith, hasCommand, isRoot } from "../support/components.ts";

const root = mkdtempSync(join(tmpdir(), "list-folder-"));
chmodSync(root, 0o755); // others may reach what is inside: the unreadable folder below is the only obstacle
afterAll(() => rmSync(root, { recursive: true, force: true }));

const list = (backup: string) => runTool("rke-etcd-backup", ["etcd-backup", "list"], { env: { RKE_TOOLS_BACKUP_DIR: backup } });

test("list on a backup folder that does not exist says so, naming it", async () => {
  const missing = join(root, "nowhere", "backup");
  const r = await list(missing);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(lastLine(r.stderr)).toEndWith(` level=fatal msg="Cannot list snapshots: the backup folder ${missing} does not exist"`);
  expect(r.stderr).not.toContain("scandir");
});

test("list on a file where the backup folder should be says it is not a directory", async () => {
  const file = join(root, "a-file");
  writeFileSync(file, "not a folder");
  const r = await list(file);
  expect(r.code).toBe(1);
  expect(lastLine(r.stderr)).toContain(`msg="Cannot list snapshots: the backup folder ${file} is not a directory"`);
});

describeWith([isRoot, hasCommand("setpriv", "util-linux")], "list without permission", () => {
  test("list on a folder it may not read says so", async () => {
    const closed = join(root, "closed");
    mkdirSync(closed, { mode: 0o700 });
    const proc = Bun.spawn(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", toolPath("rke-etcd-backup"), "etcd-backup", "list"], {
      env: { RKE_TOOLS_BACKUP_DIR: closed },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    expect(code).toBe(1);
    expect(lastLine(stderr)).toContain(`msg="Cannot list snapshots: the backup folder ${closed} is not readable (EACCES)"`);
  });
});
