import { describe, expect, test } from "bun:test";
import { TOOLS } from "../src/tools/tool.ts";
import { runTool, lastLine } from "./support/bin.ts";

describe("compiled multi-call executable", () => {
  test("rke-tools --help lists every tool; --version names version and commit", async () => {
    const help = await runTool("rke-tools", ["--help"]);
    expect(help.code).toBe(0);
    for (const name of Object.keys(TOOLS)) expect(help.stdout).toContain(name);
    const v = await runTool("rke-tools", ["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^rke-tools \d+\.\d+\.\d+ \(commit [0-9a-f]+|unknown\)/);
  });

  test("invoked as rke-etcd-backup it is the Etcd Wrapper", async () => {
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "save", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--backup-retries value");
    expect(r.stdout).toContain("[$ETCD_CACERT]");
    const top = await runTool("rke-etcd-backup", []);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("etcd-backup");
  });

  test("every tool name answers --help with that tool's usage, and nothing else runs", async () => {
    for (const name of Object.keys(TOOLS)) {
      const r = await runTool(name, ["--help"], { env: { PATH: process.env.PATH, RKE_TOOLS_KUBERNETES_DIR: "/nonexistent" } });
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: "" });
      expect(r.stdout).toMatch(name === "rke-etcd-backup" ? /etcd-backup/ : new RegExp(`Usage: .*${name.replace(".", "\\.")}`));
    }
  });

  test("rke-tools <tool> dispatches like the symlink", async () => {
    const r = await runTool("rke-tools", ["rke-etcd-backup", "etcd-backup", "serve", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--cacert value");
  });

  test("unknown flag: usage on stdout, fatal line last on stderr, exit 1", async () => {
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "save", "--bogus"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toStartWith("Incorrect Usage: flag provided but not defined: -bogus");
    expect(lastLine(r.stderr)).toMatch(/^time="[^"]+" level=fatal msg="flag provided but not defined: -bogus"$/);
  });

  test("unknown command: exit 3 as the original", async () => {
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "nope"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("No help topic for 'nope'\n");
    const t = await runTool("rke-tools", ["no-such-tool"]);
    expect(t.code).toBe(3);
  });
});
