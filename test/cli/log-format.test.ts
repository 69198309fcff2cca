/**
 * The process's one logger is built from RKE_TOOLS_LOG_FORMAT before any tool runs: lines that come
 * before a command has parsed its flags (usage errors), and tools without a --log-format flag
 * (nginx-proxy, the entrypoint), are in the format asked for too. Text stays the default.
 */
import { describe, expect, test } from "bun:test";
import { lastLine, runTool } from "../support/bin.ts";

const json = { PATH: process.env.PATH, RKE_TOOLS_LOG_FORMAT: "json" };

function parsed(line: string): Record<string, string> {
  return JSON.parse(line) as Record<string, string>;
}

describe("RKE_TOOLS_LOG_FORMAT=json reaches every line", () => {
  test("etcd-backup: a usage error's fatal line (before the command's own --log-format applies)", async () => {
    const r = await runTool("rke-etcd-backup", ["etcd-backup", "save", "--no-such-flag"], { env: json });
    expect(r.code).toBe(1);
    expect(r.stdout).toStartWith("Incorrect Usage: ");
    expect(parsed(lastLine(r.stderr))).toMatchObject({ level: "fatal", msg: "flag provided but not defined: -no-such-flag" });
  });

  test("etcd-backup: an unknown flag at the group level", async () => {
    const r = await runTool("rke-etcd-backup", ["--bogus"], { env: json });
    expect(r.code).toBe(1);
    expect(parsed(lastLine(r.stderr))).toMatchObject({ level: "fatal", msg: "flag provided but not defined: -bogus" });
  });

  test("nginx-proxy: a refused CP_HOSTS", async () => {
    const r = await runTool("nginx-proxy", [], { env: { ...json, CP_HOSTS: "" } });
    expect(r.code).not.toBe(0);
    expect(parsed(lastLine(r.stderr))).toMatchObject({ level: "fatal" });
    expect(parsed(lastLine(r.stderr)).msg).toStartWith("Cannot configure nginx-proxy: CP_HOSTS is empty or not set");
  });

  test("entrypoint.sh without a component", async () => {
    const r = await runTool("entrypoint.sh", [], { env: json });
    expect(r.code).toBe(2);
    expect(parsed(lastLine(r.stderr)).msg).toStartWith("entrypoint.sh needs the command to start");
  });

  test("text by default, and for any other value", async () => {
    for (const env of [{ PATH: process.env.PATH }, { PATH: process.env.PATH, RKE_TOOLS_LOG_FORMAT: "yaml" }]) {
      const r = await runTool("nginx-proxy", [], { env: { ...env, CP_HOSTS: "" } });
      expect(lastLine(r.stderr)).toMatch(/^time="[^"]+" level=fatal msg="Cannot configure nginx-proxy: CP_HOSTS is empty/);
    }
  });
});
