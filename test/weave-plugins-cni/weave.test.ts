import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toolPath, lastLine } from "../support/bin.ts";
import { recordOutput } from "../support/secrets.ts";

const work = mkdtempSync(join(tmpdir(), "weave-cni-"));
// A second filesystem for the cross-device move (/opt on the host vs /tmp in the image).
const shm = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/weave-cni-") : undefined;
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  if (shm) rmSync(shm, { recursive: true, force: true });
});

function plugins(dir: string) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "loopback"), "#!/bin/sh\necho loopback\n");
  chmodSync(join(dir, "loopback"), 0o750);
  writeFileSync(join(dir, "portmap"), "portmap binary bytes");
  chmodSync(join(dir, "portmap"), 0o600);
}

/** Starts the tool, waits (bounded) until it logs that it is waiting, returns a stopper. */
async function start(tmp: string, bin: string) {
  const proc = Bun.spawn([toolPath("weave-plugins-cni.sh")], {
    env: { PATH: process.env.PATH, RKE_TOOLS_TMP_DIR: tmp, RKE_TOOLS_CNI_BIN_DIR: bin },
    stdout: "pipe",
    stderr: "pipe",
  });
  let err = "";
  const reader = (async () => {
    for await (const c of proc.stderr) err += new TextDecoder().decode(c);
  })();
  const deadline = Date.now() + 10_000;
  while (!err.includes("waiting until stopped") && proc.exitCode === null) {
    if (Date.now() > deadline) throw new Error(`no "waiting" line: ${err}`);
    await Bun.sleep(20);
  }
  return {
    proc,
    stderr: () => err,
    async stop(sig: "SIGTERM" | "SIGINT" = "SIGTERM") {
      proc.kill(sig);
      const code = await proc.exited;
      await reader;
      recordOutput("weave-plugins-cni.sh", err);
      return code;
    },
  };
}

describe("weave-plugins-cni.sh", () => {
  test("moves loopback and portmap into the CNI folder (created), portmap 0755, stays up, exits 0 on SIGTERM", async () => {
    const tmp = join(work, "tmp1");
    const bin = join(work, "opt1/cni/bin");
    plugins(tmp);
    const t = await start(tmp, bin);
    expect(t.proc.exitCode).toBeNull(); // still running
    expect(readdirSync(bin).sort()).toEqual(["loopback", "portmap"]);
    expect(readdirSync(tmp)).toEqual([]);
    expect(statSync(join(bin, "portmap")).mode & 0o7777).toBe(0o755);
    expect(statSync(join(bin, "loopback")).mode & 0o7777).toBe(0o750); // mv keeps the mode
    expect(readFileSync(join(bin, "portmap"), "utf8")).toBe("portmap binary bytes");
    expect(await t.stop()).toBe(0);
    expect(lastLine(t.stderr())).toContain('msg="Stopping on signal"');
  });

  test("a repeat run (already moved) is fine and also waits", async () => {
    const tmp = join(work, "tmp1");
    const bin = join(work, "opt1/cni/bin");
    const t = await start(tmp, bin);
    expect(t.stderr()).toContain('msg="CNI plugin portmap already in place"');
    expect(await t.stop("SIGINT")).toBe(0);
  });

  test.skipIf(!shm)("across filesystems: copied, synced, renamed, source removed, no temp files", async () => {
    const tmp = join(shm!, "tmp");
    const bin = join(work, "opt2/cni/bin");
    plugins(tmp);
    const t = await start(tmp, bin);
    expect(readdirSync(bin).sort()).toEqual(["loopback", "portmap"]);
    expect(readdirSync(tmp)).toEqual([]);
    expect(readFileSync(join(bin, "loopback"), "utf8")).toBe("#!/bin/sh\necho loopback\n");
    expect(statSync(join(bin, "loopback")).mode & 0o7777).toBe(0o750);
    expect(statSync(join(bin, "portmap")).mode & 0o7777).toBe(0o755);
    expect(await t.stop()).toBe(0);
  });

  test("nothing to deploy: one clear line, exit 1", async () => {
    const proc = Bun.spawn([toolPath("weave-plugins-cni.sh")], {
      env: { PATH: process.env.PATH, RKE_TOOLS_TMP_DIR: join(work, "empty"), RKE_TOOLS_CNI_BIN_DIR: join(work, "opt3/cni/bin") },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(1);
    expect(lastLine(err)).toContain(`msg="Cannot deploy the loopback CNI plugin: neither ${join(work, "empty", "loopback")} nor ${join(work, "opt3/cni/bin/loopback")} exists"`);
  });
});
