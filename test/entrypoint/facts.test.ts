import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gatherFacts, processRunning } from "../../src/tools/entrypoint/facts.ts";
import { mountsUnder } from "../../src/tools/entrypoint/mountinfo.ts";
import { entrypointPaths } from "../../src/tools/entrypoint/paths.ts";
import { startDockerApi, type DockerApi } from "../support/docker-api.ts";
import { ImdsServer } from "../support/imds.ts";

const t = mkdtempSync(join(tmpdir(), "entrypoint-facts-"));
afterAll(() => rmSync(t, { recursive: true, force: true }));

function file(path: string, content = "") {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, content);
}

describe("systemd-resolved found by scanning /proc", () => {
  test.each([
    [{ "1": ["systemd", "/sbin/init\0"], "77": ["systemd-resolve", "/lib/systemd/systemd-resolved\0"] }, true],
    [{ "1": ["systemd", "/sbin/init\0"], "78": ["resolved-helper", "/usr/bin/resolved-helper\0"] }, false],
    [{ "90": ["bash", "/usr/lib/systemd/systemd-resolved\0--flag\0"] }, true],
    [{}, false],
  ])("%j → %s", async (procs, expected) => {
    const proc = mkdtempSync(join(t, "proc-"));
    file(join(proc, "self", "status"), "Name: self\n");
    for (const [pid, [comm, cmdline]] of Object.entries(procs)) {
      file(join(proc, pid, "comm"), `${comm}\n`);
      file(join(proc, pid, "cmdline"), cmdline);
    }
    expect(await processRunning(proc, "systemd-resolved")).toBe(expected);
  });
});

describe("mount table under a root", () => {
  const info = [
    "22 1 0:20 / / rw,relatime - overlay overlay rw",
    "30 22 0:30 / /tmp/r rw - tmpfs t rw",
    "31 30 0:31 / /tmp/r/run/my\\040dir rw,nosuid - tmpfs t rw",
    "32 22 0:32 / /tmp/rr/x rw - tmpfs t rw",
  ].join("\n");
  test("production: every entry, escapes decoded", () => {
    expect(mountsUnder(info, "").map((m) => m.target)).toEqual(["/", "/tmp/r", "/tmp/r/run/my dir", "/tmp/rr/x"]);
  });
  test("relocated: only entries under the root, as container paths", () => {
    expect(mountsUnder(info, "/tmp/r")).toEqual([
      { target: "/", options: ["rw"], fstype: "tmpfs", superOptions: ["rw"] },
      { target: "/run/my dir", options: ["rw", "nosuid"], fstype: "tmpfs", superOptions: ["rw"] },
    ]);
  });
  test("garbage gives an empty table", () => {
    expect(mountsUnder("not a mountinfo line", "")).toEqual([]);
  });
});

describe("gatherFacts for kubelet in a relocated root", () => {
  let docker: DockerApi | undefined;
  let imds: ImdsServer | undefined;
  afterEach(async () => {
    await docker?.stop();
    await imds?.stop();
    docker = imds = undefined;
  });

  function root() {
    const r = mkdtempSync(join(t, "root-"));
    mkdirSync(join(r, "sys/fs/cgroup/cpu,cpuacct"), { recursive: true });
    mkdirSync(join(r, "sys/fs/cgroup/memory"));
    symlinkSync("cpu,cpuacct", join(r, "sys/fs/cgroup/cpu"));
    file(join(r, "sys/fs/cgroup/cgroup.procs"));
    file(join(r, "host/etc/os-release"), "ID=host\n");
    file(join(r, "host/usr/share/ros/os-release"), "ID=ros\n");
    file(join(r, "etc/hosts"), "10.0.0.1 node1.cluster.example node1\n");
    file(join(r, "proc/self/mountinfo"), `1 0 0:1 / ${r}/sys/fs/cgroup ro,nosuid - tmpfs t ro\n`);
    mkdirSync(join(r, "proc/sys/net/bridge"), { recursive: true });
    return r;
  }

  test("Docker, cgroup directories (links followed), os-release order, EC2 hostname", async () => {
    const r = root();
    docker = startDockerApi({ CgroupDriver: "systemd", CgroupVersion: "2", DockerRootDir: "/data/docker" });
    imds = new ImdsServer({ hostname: "ip-1-2-3-4.ec2.internal" });
    const env = { PATH: "/nonexistent", RKE_TOOLS_ENTRYPOINT_ROOT: r, RKE_TOOLS_PROC_DIR: join(r, "proc"), RKE_TOOLS_DOCKER_SOCK: docker.socket, RKE_TOOLS_EC2_IMDS_URL: imds.url };
    const f = await gatherFacts(["kubelet"], env, entrypointPaths(env));
    expect(f).toEqual({
      programs: { "update-alternatives": false, modprobe: false },
      iptablesWrapper: false,
      brNetfilterLoaded: true,
      hostname: { value: "ip-1-2-3-4.ec2.internal", source: "ec2-imds" },
      docker: { cgroupDriver: "systemd", cgroupVersion: "2", rootDir: "/data/docker" },
      mounts: [{ target: "/sys/fs/cgroup", options: ["ro", "nosuid"], fstype: "tmpfs", superOptions: ["ro"] }],
      cgroupDirs: ["cpu", "cpu,cpuacct", "memory"],
      selinux: false,
      hostOsRelease: "/host/etc/os-release",
      systemdResolved: false,
      resolvedConf: false,
    });
  });

  test("an EC2 hostname of 50 MiB: the hosts file's canonical name, as with no answer (issue 19, item 15)", async () => {
    const r = root();
    imds = new ImdsServer({ hostname: "a".repeat(50 << 20) });
    const env = { PATH: "", RKE_TOOLS_ENTRYPOINT_ROOT: r, RKE_TOOLS_PROC_DIR: join(r, "proc"), RKE_TOOLS_DOCKER_SOCK: join(r, "none.sock"), RKE_TOOLS_EC2_IMDS_URL: imds.url };
    const f = await gatherFacts(["kube-proxy"], env, entrypointPaths(env));
    expect(f.hostname?.source).toBe("hostname -f");
    expect(f.hostname!.value.length).toBeLessThan(256);
  });

  test("no EC2 metadata: the hosts file's canonical name; no Docker: no docker facts", async () => {
    const r = root();
    const env = {
      PATH: "",
      RKE_TOOLS_ENTRYPOINT_ROOT: r,
      RKE_TOOLS_PROC_DIR: join(r, "proc"),
      RKE_TOOLS_DOCKER_SOCK: join(r, "none.sock"),
      RKE_TOOLS_EC2_IMDS_URL: "http://127.0.0.1:9",
    };
    const f = await gatherFacts(["kube-proxy"], env, entrypointPaths(env));
    expect(f.hostname?.source).toBe("hostname -f");
    expect(f.docker).toBeUndefined();
    expect(f.mounts).toEqual([]); // kube-proxy needs no kubelet facts
  });
});
