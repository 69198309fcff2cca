/**
 * The executor for real: as root, in a private mount namespace on tmpfs, through the compiled
 * executable, ending in the stand-in component (same PID).
 */
import { afterEach, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { describeWith, hasCommand, isRoot } from "../support/components.ts";
import { declareSecret } from "../support/secrets.ts";
import { ImdsServer } from "../support/imds.ts";
import { runInNamespace, until, values } from "./ns.fixture.ts";

const REGISTRY_JSON = JSON.stringify({ auths: { "registry.example.com": { auth: Buffer.from("robot:hunter2-very-secret").toString("base64") } } });
const REGISTRY_B64 = Buffer.from(REGISTRY_JSON).toString("base64");
const REGISTRY_SHA = createHash("sha256").update(REGISTRY_JSON).digest("hex");
declareSecret(REGISTRY_B64, REGISTRY_JSON, "hunter2-very-secret", Buffer.from("robot:hunter2-very-secret").toString("base64"));
const REGISTRY = { RKE_KUBELET_DOCKER_CONFIG: REGISTRY_B64, RKE_KUBELET_DOCKER_FILE: "/var/lib/kubelet/config.json" };

function noCredentials(text: string) {
  for (const s of [REGISTRY_B64, REGISTRY_JSON, "hunter2-very-secret", Buffer.from("robot:hunter2-very-secret").toString("base64")]) expect(text).not.toContain(s);
}

let imds: ImdsServer | undefined;
afterEach(async () => {
  await imds?.stop();
  imds = undefined;
});

describeWith([isRoot, hasCommand("unshare", "util-linux")], "entrypoint.sh executor in a private mount namespace", () => {
  test("kubelet, cgroup v1: every preparation step, then exec with the extra arguments in the same PID", async () => {
    imds = new ImdsServer({ hostname: "ip-10-9-8-7.eu-central-1.compute.internal", mode: "v2" });
    const args = ["--resolv-conf=/etc/resolv.conf", "--v=2"];
    const r = await runInNamespace(["kubelet", ...args], { env: { ...REGISTRY, RKE_TOOLS_EC2_IMDS_URL: imds.url } });
    expect(r.code).toBe(0);
    const k = r.reports.kubelet;
    expect(values(k, "pid")).toEqual([String(r.pid)]);
    expect(values(k, "path")[0]).toEndWith("/bin/kubelet");
    expect(values(k, "arg")).toEqual([
      ...args,
      "--hostname-override=ip-10-9-8-7.eu-central-1.compute.internal",
      "--cgroup-driver=cgroupfs",
      "--resolv-conf=/run/systemd/resolve/resolv.conf",
    ]);
    const mounts = values(k, "mount");
    for (const kept of ["/var/lib/docker/containers", "/run/nscd", "/dev", "/sys/fs/cgroup", "/sys/fs/cgroup/cpuacct,cpu", "/sys/fs/cgroup/net_prio,net_cls"])
      expect(mounts).toContain(kept);
    for (const gone of ["/var/lib/docker/overlay2/l1/merged", "/run/user/0", "/run/netns/a", "/run/netns/a/inner"]) expect(mounts).not.toContain(gone);
    expect(values(k, "dev-marker")).toEqual(["marker"]);
    expect(values(k, "cgroup-writable")).toEqual(["yes"]);
    expect(values(k, "kubepods")).toEqual(expect.arrayContaining(["cpu", "cpu,cpuacct", "memory", "net_cls,net_prio"]));
    expect(values(k, "os-release")).toEqual(["/host/etc/os-release"]);
    expect(values(k, "bridge")).toEqual(["1"]);
    expect(values(k, "registry")).toEqual([`${REGISTRY_SHA} mode=600`]);
    expect(r.reports.programs).toBe("update-alternatives --set iptables /usr/sbin/iptables-wrapper\n");
    // Each action is logged once.
    expect(r.stderr.split("umount /run/netns/a/inner").length - 1).toBe(1);
    expect(r.stderr.split("mount --rbind /host/dev /dev").length - 1).toBe(1);
    expect(r.stderr).toContain("write the registry docker config to /var/lib/kubelet/config.json");
    noCredentials(r.stdout + r.stderr + Object.values(r.reports).join(""));
  }, 30_000);

  test("kubelet, cgroup v2: no kubepods directories, no alias mounts, the driver Docker reports", async () => {
    const r = await runInNamespace(["kubelet", "--hostname-override=n1"], {
      cgroupVersion: "2",
      docker: { CgroupDriver: "systemd", CgroupVersion: "2", DockerRootDir: "/var/lib/docker" },
    });
    expect(r.code).toBe(0);
    const k = r.reports.kubelet;
    expect(values(k, "pid")).toEqual([String(r.pid)]);
    expect(values(k, "arg")).toEqual(["--hostname-override=n1", "--cgroup-driver=systemd"]);
    expect(values(k, "kubepods")).toEqual([]);
    expect(values(k, "mount").filter((m) => m.startsWith("/sys/fs/cgroup/"))).toEqual([]);
    expect(values(k, "cgroup-writable")).toEqual(["yes"]);
  }, 30_000);

  test("kube-proxy: iptables alternatives and br_netfilter, no kubelet preparation, arguments unchanged", async () => {
    const args = ["--hostname-override=n1", "--cluster-cidr=10.42.0.0/16"];
    const r = await runInNamespace(["kube-proxy", ...args], { env: { RKE_KUBE_PROXY_BR_NETFILTER: "true" } });
    expect(r.code).toBe(0);
    const k = r.reports["kube-proxy"];
    expect(values(k, "pid")).toEqual([String(r.pid)]);
    expect(values(k, "arg")).toEqual(args);
    expect(values(k, "path")[0]).toEndWith("/bin/kube-proxy");
    expect(r.reports.programs).toBe("update-alternatives --set iptables /usr/sbin/iptables-wrapper\nmodprobe br_netfilter\n");
    expect(values(k, "mount")).toContain("/var/lib/docker/overlay2/l1/merged");
    expect(values(k, "dev-marker")).toEqual([""]);
  }, 30_000);

  test("cri-dockerd branch: both started, kubelet's exit ends cri-dockerd and is the exit status", async () => {
    const args = ["--container-runtime-endpoint=/var/run/dockershim.sock", "--pod-infra-container-image=rancher/mirrored-pause:3.7", "--hostname-override=n1"];
    const r = await runInNamespace(["kubelet", ...args], { env: { ...REGISTRY, RKE_KUBELET_CRIDOCKERD: "true", CRIDOCKERD_STREAM_SERVER_PORT: "10099", COMPONENT_EXIT: "7" } });
    expect(r.code).toBe(7);
    expect(values(r.reports["cri-dockerd"], "arg")).toEqual([
      "--network-plugin=cni",
      "--cni-conf-dir=/etc/cni/net.d",
      "--cni-bin-dir=/opt/cni/bin",
      "--pod-infra-container-image=rancher/mirrored-pause:3.7",
      "--container-runtime-endpoint=unix:///var/run/dockershim.sock",
      "--streaming-bind-addr=127.0.0.1:10099",
    ]);
    expect(values(r.reports.kubelet, "arg")).toEqual([...args, "--cgroup-driver=cgroupfs"]);
    expect(r.reports["cri-dockerd.term"]).toBe("term\n");
    expect(values(r.reports.kubelet, "dotdocker")).toEqual([REGISTRY_SHA]);
    noCredentials(r.stdout + r.stderr + Object.values(r.reports).join(""));
  }, 30_000);

  test("cri-dockerd branch: cri-dockerd failing first is the exit status, kubelet never starts", async () => {
    const r = await runInNamespace(["kubelet", "--container-runtime-endpoint=/var/run/dockershim.sock", "--hostname-override=n1"], {
      env: { RKE_KUBELET_CRIDOCKERD: "true", CRIDOCKERD_EXIT: "3" },
    });
    expect(r.code).toBe(3);
    expect(r.reports.kubelet).toBeUndefined();
  }, 30_000);

  test("cri-dockerd branch: SIGTERM reaches both children; the first one's status is ours", async () => {
    const r = await runInNamespace(["kubelet", "--container-runtime-endpoint=/var/run/dockershim.sock", "--hostname-override=n1"], {
      env: { RKE_KUBELET_CRIDOCKERD: "true", COMPONENT_EXIT: "wait" },
      during: async (proc, report) => {
        await until(() => existsSync(report("kubelet")) && existsSync(report("cri-dockerd")));
        proc.kill("SIGTERM");
      },
    });
    expect(r.code).toBe(143);
    expect(r.reports["kubelet.term"]).toBe("term\n");
    expect(r.reports["cri-dockerd.term"]).toBe("term\n");
  }, 30_000);
});
