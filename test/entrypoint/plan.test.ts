import { describe, expect, test } from "bun:test";
import type { Action } from "../../src/tools/entrypoint/actions.ts";
import { COMPONENTS, wantsAzure, wantsHostname } from "../../src/tools/entrypoint/args.ts";
import { plan, unmounts } from "../../src/tools/entrypoint/plan.ts";
import { facts, mounts } from "./facts.fixture.ts";

const KUBELET = [
  "kubelet",
  "--v=2",
  "--resolv-conf=/etc/resolv.conf",
  "--container-runtime-endpoint=/var/run/dockershim.sock",
  "--pod-infra-container-image=rancher/mirrored-pause:3.7",
];
const kinds = (actions: Action[]) => actions.map((a) => a.do);
const last = (actions: Action[]) => actions[actions.length - 1]!;
const execArgv = (actions: Action[]) => {
  const a = last(actions);
  if (a.do !== "exec") throw new Error(`last action is ${a.do}`);
  return a.argv;
};

describe("control plane components: only the final exec, plus Azure where it applies", () => {
  test.each([
    ["kube-apiserver", [], ["exec"]],
    ["kube-scheduler", [], ["exec"]],
    ["kube-controller-manager", [], ["exec"]],
    ["kube-apiserver", ["--cloud-provider=azure"], ["azure-cloud-config", "exec"]],
    ["kube-controller-manager", ["--cloud-provider=azure", "--cloud-config=/etc/kubernetes/cloud-config"], ["azure-cloud-config", "exec"]],
    ["kube-scheduler", ["--cloud-provider=azure"], ["exec"]],
    ["kube-apiserver", ["--cloud-provider=aws"], ["exec"]],
  ] as const)("%s %j", (component, args, expected) => {
    const argv = [component, ...args];
    const actions = plan(argv, {}, facts());
    expect(kinds(actions)).toEqual([...expected]);
    expect(execArgv(actions)).toEqual(argv);
  });
});

describe("kube-proxy", () => {
  test("iptables alternatives, then exec with the arguments unchanged", () => {
    const argv = ["kube-proxy", "--hostname-override=node-1", "--v=2"];
    const actions = plan(argv, {}, facts());
    expect(actions[0]).toEqual({ do: "run", argv: ["update-alternatives", "--set", "iptables", "/usr/sbin/iptables-wrapper"], why: expect.any(String) });
    expect(kinds(actions)).toEqual(["run", "exec"]);
    expect(execArgv(actions)).toEqual(argv);
  });

  test.each([
    [{ iptablesWrapper: false }, "/usr/sbin/iptables-wrapper is not in this image"],
    [{ programs: { "update-alternatives": false } }, "update-alternatives is not in this image"],
  ])("iptables alternatives skipped when %j", (over, why) => {
    expect(plan(["kube-proxy"], {}, facts(over))[0]).toEqual({ do: "skip", what: "iptables alternatives", why });
  });

  test.each([
    ["true", { modprobe: true }, false, { do: "run", argv: ["modprobe", "br_netfilter"] }],
    ["true", { modprobe: false }, true, { do: "skip", why: "modprobe is not in this image; the module is loaded already" }],
    ["true", { modprobe: false }, false, { do: "skip", why: "modprobe is not in this image and the module is not loaded" }],
    ["false", { modprobe: true }, false, undefined],
    [undefined, { modprobe: true }, false, undefined],
  ] as const)("RKE_KUBE_PROXY_BR_NETFILTER=%s modprobe=%j loaded=%s", (value, programs, loaded, expected) => {
    const actions = plan(["kube-proxy"], { RKE_KUBE_PROXY_BR_NETFILTER: value }, facts({ programs: { "update-alternatives": true, ...programs }, brNetfilterLoaded: loaded }));
    if (expected === undefined) expect(kinds(actions)).toEqual(["run", "exec"]);
    else expect(actions[1]).toMatchObject(expected);
  });

  test("br_netfilter is for kube-proxy only", () => {
    expect(kinds(plan(["kube-apiserver"], { RKE_KUBE_PROXY_BR_NETFILTER: "true" }, facts()))).toEqual(["exec"]);
  });

  test("the EC2 hostname is appended as --hostname-override", () => {
    const actions = plan(["kube-proxy", "--v=2"], {}, facts({ hostname: { value: "ip-10-0-0-1.ec2.internal", source: "ec2-imds" } }));
    expect(execArgv(actions)).toEqual(["kube-proxy", "--v=2", "--hostname-override=ip-10-0-0-1.ec2.internal"]);
  });
});

describe("which components ask for a hostname and for Azure", () => {
  test.each([
    [["kubelet", "--v=2"], true],
    [["kube-proxy"], true],
    [["kubelet", "--hostname-override=n1"], false],
    [["kube-proxy", "--hostname-override", "n1"], false],
    [["kube-apiserver"], false],
    [["kube-controller-manager"], false],
    [["kube-scheduler"], false],
  ])("hostname %j → %s", (argv, expected) => expect(wantsHostname(argv)).toBe(expected));

  test.each([
    [["kubelet", "--cloud-provider=azure"], true],
    [["kube-apiserver", "--cloud-provider=azure"], true],
    [["kube-controller-manager", "--cloud-provider=azure"], true],
    [["kube-proxy", "--cloud-provider=azure"], false],
    [["kube-scheduler", "--cloud-provider=azure"], false],
    [["kubelet", "--cloud-provider=external"], false],
  ])("azure %j → %s", (argv, expected) => expect(wantsAzure(argv)).toBe(expected));
});

describe("kubelet preparation", () => {
  test("cgroup v1, default Docker root: every step in the original's order", () => {
    const f = facts({
      mounts: mounts("/", "/sys/fs/cgroup", "/var/lib/docker", "/var/lib/docker/containers", "/var/lib/docker/overlay2/abc/merged", "/run/nscd", "/run/user/0", "/var/run/netns/x"),
      hostOsRelease: "/host/etc/os-release",
    });
    const actions = plan(KUBELET, {}, f);
    expect(actions).toEqual([
      { do: "run", argv: ["update-alternatives", "--set", "iptables", "/usr/sbin/iptables-wrapper"], why: expect.any(String) },
      { do: "umount", target: "/var/lib/docker/overlay2/abc/merged" },
      { do: "umount", target: "/run/user/0" },
      { do: "umount", target: "/var/run/netns/x" },
      { do: "rbind", source: "/host/dev", target: "/dev" },
      { do: "remount-rw", target: "/sys/fs/cgroup", options: ["rw", "nosuid", "nodev", "noexec", "relatime"], data: "mode=755" },
      { do: "mkdir", path: "/sys/fs/cgroup/cpu/kubepods" },
      { do: "mkdir", path: "/sys/fs/cgroup/cpu,cpuacct/kubepods" },
      { do: "mkdir", path: "/sys/fs/cgroup/memory/kubepods" },
      { do: "mkdir", path: "/sys/fs/cgroup/net_cls,net_prio/kubepods" },
      { do: "mkdir", path: "/sys/fs/cgroup/cpuacct,cpu" },
      { do: "bind", source: "/sys/fs/cgroup/cpu,cpuacct", target: "/sys/fs/cgroup/cpuacct,cpu" },
      { do: "mkdir", path: "/sys/fs/cgroup/net_prio,net_cls" },
      { do: "bind", source: "/sys/fs/cgroup/net_cls,net_prio", target: "/sys/fs/cgroup/net_prio,net_cls" },
      { do: "mkdir", path: "/opt/cni" },
      { do: "mkdir", path: "/etc/cni" },
      { do: "sysctl", key: "net.bridge.bridge-nf-call-iptables", value: "1" },
      { do: "symlink", target: "/host/etc/os-release", path: "/usr/lib/os-release" },
      { do: "exec", argv: [...KUBELET, "--cgroup-driver=cgroupfs"] },
    ]);
  });

  test("cgroup v2: no kubepods directories and no alias mounts (rancher/rke#3280)", () => {
    const actions = plan(KUBELET, {}, facts({ docker: { cgroupDriver: "systemd", cgroupVersion: "2", rootDir: "/var/lib/docker" } }));
    expect(actions.some((a) => a.do === "bind" || (a.do === "mkdir" && a.path.startsWith("/sys/fs/cgroup")))).toBe(false);
    expect(actions).toContainEqual({ do: "remount-rw", target: "/sys/fs/cgroup", options: expect.any(Array), data: "mode=755" });
    expect(execArgv(actions)).toEqual([...KUBELET, "--cgroup-driver=systemd"]);
  });

  test("the cgroup remount keeps the filesystem's own options (cgroup2's nsdelegate is host-wide)", () => {
    const cgroup2 = {
      target: "/sys/fs/cgroup",
      options: ["ro", "nosuid", "nodev", "noexec", "relatime"],
      fstype: "cgroup2",
      superOptions: ["ro", "seclabel", "nsdelegate", "memory_recursiveprot"],
    };
    const actions = plan(KUBELET, {}, facts({ mounts: [cgroup2], docker: { cgroupDriver: "systemd", cgroupVersion: "2", rootDir: "/var/lib/docker" } }));
    expect(actions).toContainEqual({ do: "remount-rw", target: "/sys/fs/cgroup", options: cgroup2.options, data: "nsdelegate,memory_recursiveprot" });
    const bare = plan(KUBELET, {}, facts({ mounts: [] })).find((a) => a.do === "remount-rw");
    expect(bare).toEqual({ do: "remount-rw", target: "/sys/fs/cgroup", options: [] });
  });

  test("alias mounts already in place are not stacked again", () => {
    const actions = plan(KUBELET, {}, facts({ mounts: mounts("/sys/fs/cgroup", "/sys/fs/cgroup/cpuacct,cpu") }));
    expect(actions).toContainEqual({ do: "skip", what: "bind /sys/fs/cgroup/cpuacct,cpu", why: "already mounted" });
    expect(actions.filter((a) => a.do === "bind")).toEqual([{ do: "bind", source: "/sys/fs/cgroup/net_cls,net_prio", target: "/sys/fs/cgroup/net_prio,net_cls" }]);
  });

  test("no Docker answer: no --cgroup-driver, no cgroup v1 steps, the default root's children still kept", () => {
    const actions = plan(KUBELET, {}, facts({ docker: undefined, mounts: mounts("/var/lib/docker/containers", "/var/lib/docker/x/y") }));
    expect(execArgv(actions)).toEqual(KUBELET);
    expect(actions).toContainEqual({ do: "skip", what: "--cgroup-driver", why: expect.any(String) });
    expect(actions.filter((a) => a.do === "umount")).toEqual([{ do: "umount", target: "/var/lib/docker/x/y" }]);
    expect(actions.some((a) => a.do === "bind")).toBe(false);
  });

  test.each([true, false])("SELinux host %s → relabel /etc/cni and /opt/cni", (selinux) => {
    const relabels = plan(KUBELET, {}, facts({ selinux })).filter((a) => a.do === "relabel");
    expect(relabels).toEqual(
      selinux
        ? [
            { do: "relabel", path: "/etc/cni", type: "svirt_sandbox_file_t" },
            { do: "relabel", path: "/opt/cni", type: "svirt_sandbox_file_t" },
          ]
        : [],
    );
  });

  test.each([
    ["--resolv-conf=/etc/resolv.conf", true, true, true],
    ["--resolv-conf=/etc/resolv.conf", true, false, false],
    ["--resolv-conf=/etc/resolv.conf", false, true, false],
    ["--resolv-conf=/etc/my-resolv.conf", true, true, false],
    [undefined, true, true, false],
  ])("resolv-conf %s, systemd-resolved running %s, its file %s → override %s", (arg, running, file, override) => {
    const argv = ["kubelet", ...(arg ? [arg] : [])];
    const actions = plan(argv, {}, facts({ systemdResolved: running, resolvedConf: file }));
    expect(execArgv(actions)).toEqual([...argv, "--cgroup-driver=cgroupfs", ...(override ? ["--resolv-conf=/run/systemd/resolve/resolv.conf"] : [])]);
  });

  test("the EC2 hostname comes before the kubelet extras, as the original appended it first", () => {
    const actions = plan(["kubelet"], {}, facts({ hostname: { value: "h.example", source: "hostname -f" } }));
    expect(execArgv(actions)).toEqual(["kubelet", "--hostname-override=h.example", "--cgroup-driver=cgroupfs"]);
  });

  test.each([
    [
      { RKE_KUBELET_DOCKER_CONFIG: "e30=", RKE_KUBELET_DOCKER_FILE: "/var/lib/kubelet/config.json" },
      { do: "registry-config", path: "/var/lib/kubelet/config.json" },
    ],
    [{ RKE_KUBELET_DOCKER_CONFIG: "e30=" }, { do: "skip", what: "registry docker config", why: "RKE_KUBELET_DOCKER_FILE is not set" }],
    [{ RKE_KUBELET_DOCKER_FILE: "/var/lib/kubelet/config.json" }, undefined],
  ])("registry config %j", (env, expected) => {
    const actions = plan(KUBELET, env, facts());
    const found = actions.find((a) => a.do === "registry-config" || (a.do === "skip" && a.what === "registry docker config"));
    expect(found).toEqual(expected as Action | undefined);
  });

  test("no action carries the registry credentials", () => {
    const env = { RKE_KUBELET_DOCKER_CONFIG: "c2VjcmV0LWNyZWRlbnRpYWxz", RKE_KUBELET_DOCKER_FILE: "/var/lib/kubelet/config.json", RKE_KUBELET_CRIDOCKERD: "true" };
    expect(JSON.stringify(plan(KUBELET, env, facts()))).not.toContain("c2VjcmV0LWNyZWRlbnRpYWxz");
  });
});

describe("unmount rules", () => {
  test.each([
    ["nscd's socket dirs stay", ["/run/nscd", "/var/run/nscd", "/run/nscd/sub"], ["/run/nscd/sub"]],
    ["the roots themselves stay", ["/run", "/var/run", "/var/lib/docker"], []],
    ["prefixes that only look alike stay", ["/running/x", "/var/lib/docker2/x", "/var/runner/y"], []],
    ["innermost (latest) first", ["/run/a", "/run/a/b", "/run/a/b/c"], ["/run/a/b/c", "/run/a/b", "/run/a"]],
    [
      "first-level children of the Docker root stay, deeper ones go",
      ["/var/lib/docker/containers", "/var/lib/docker/volumes", "/var/lib/docker/overlay2/l/merged"],
      ["/var/lib/docker/overlay2/l/merged"],
    ],
    ["a path mounted twice is unmounted twice", ["/run/k", "/run/k"], ["/run/k", "/run/k"]],
    ["mounts elsewhere stay", ["/", "/etc/hosts", "/var/lib/kubelet/pods/x"], []],
  ])("%s", (_, targets, expected) => {
    expect(unmounts(facts({ mounts: mounts(...targets) }))).toEqual(expected);
  });

  test("a custom Docker root: its sub-mounts first, its first-level children stay, /var/lib/docker's go", () => {
    const f = facts({
      docker: { cgroupDriver: "cgroupfs", cgroupVersion: "1", rootDir: "/data/docker/" },
      mounts: mounts("/data/docker/containers", "/data/docker/overlay2/x/merged", "/var/lib/docker/containers", "/run/a"),
    });
    expect(unmounts(f)).toEqual(["/data/docker/overlay2/x/merged", "/var/lib/docker/containers", "/run/a"]);
  });
});

describe("cri-dockerd branch (RKE_KUBELET_CRIDOCKERD=true)", () => {
  const base = { RKE_KUBELET_CRIDOCKERD: "true" };

  test("cri-dockerd with the original's flags, then kubelet with its extras, under wait -n", () => {
    const actions = plan(KUBELET, base, facts({ systemdResolved: true, resolvedConf: true }));
    expect(last(actions)).toEqual({
      do: "supervise",
      first: [
        "/opt/rke-tools/bin/cri-dockerd",
        "--network-plugin=cni",
        "--cni-conf-dir=/etc/cni/net.d",
        "--cni-bin-dir=/opt/cni/bin",
        "--pod-infra-container-image=rancher/mirrored-pause:3.7",
        "--container-runtime-endpoint=unix:///var/run/dockershim.sock",
        "--streaming-bind-addr=127.0.0.1:10010",
      ],
      second: [...KUBELET, "--cgroup-driver=cgroupfs", "--resolv-conf=/run/systemd/resolve/resolv.conf"],
      readySocket: "/var/run/dockershim.sock",
      readyTimeoutMs: 10_000,
    });
    expect(actions.some((a) => a.do === "exec")).toBe(false);
  });

  test.each([
    [{ CRIDOCKERD_STREAM_SERVER_ADDRESS: "10.0.0.5", CRIDOCKERD_STREAM_SERVER_PORT: "10020" }, "--streaming-bind-addr=10.0.0.5:10020"],
    [{ CRIDOCKERD_STREAM_SERVER_PORT: "10020" }, "--streaming-bind-addr=127.0.0.1:10020"],
    [{ CRIDOCKERD_STREAM_SERVER_ADDRESS: "" }, "--streaming-bind-addr=127.0.0.1:10010"],
  ])("stream server %j", (env, flag) => {
    const a = last(plan(KUBELET, { ...base, ...env }, facts()));
    expect(a.do === "supervise" && a.first).toContain(flag);
  });

  test("dual stack adds --ipv6-dual-stack last", () => {
    const a = last(plan(KUBELET, { ...base, RKE_KUBELET_CRIDOCKERD_DUALSTACK: "true" }, facts()));
    expect(a.do === "supervise" && a.first[a.first.length - 1]).toBe("--ipv6-dual-stack");
  });

  test("an endpoint that is already a URL passes unchanged; no pause image, no flag", () => {
    const a = last(plan(["kubelet", "--container-runtime-endpoint=unix:///run/cri.sock"], base, facts()));
    if (a.do !== "supervise") throw new Error(a.do);
    expect(a.first).toContain("--container-runtime-endpoint=unix:///run/cri.sock");
    expect(a.first.some((x) => x.startsWith("--pod-infra-container-image"))).toBe(false);
    expect(a.readySocket).toBe("/run/cri.sock");
  });

  test("the registry config is also bind-mounted over /.docker/config.json", () => {
    const actions = plan(KUBELET, { ...base, RKE_KUBELET_DOCKER_CONFIG: "e30=", RKE_KUBELET_DOCKER_FILE: "/var/lib/kubelet/config.json" }, facts());
    const i = actions.findIndex((a) => a.do === "registry-config");
    expect(actions.slice(i + 1, i + 4)).toEqual([
      { do: "mkdir", path: "/.docker" },
      { do: "touch", path: "/.docker/config.json" },
      { do: "bind", source: "/var/lib/kubelet/config.json", target: "/.docker/config.json" },
    ]);
  });

  test("RKE_KUBELET_CRIDOCKERD only matters for kubelet", () => {
    expect(kinds(plan(["kube-proxy", "--hostname-override=x"], base, facts()))).toEqual(["run", "exec"]);
  });
});

describe("every component × env combination", () => {
  const envs = [
    {},
    { RKE_KUBE_PROXY_BR_NETFILTER: "true" },
    { RKE_KUBELET_CRIDOCKERD: "true" },
    { RKE_KUBELET_CRIDOCKERD: "true", RKE_KUBELET_CRIDOCKERD_DUALSTACK: "true", CRIDOCKERD_STREAM_SERVER_PORT: "1" },
    { RKE_KUBELET_DOCKER_CONFIG: "e30=", RKE_KUBELET_DOCKER_FILE: "/f" },
  ];
  const argSets = [[], ["--cloud-provider=azure"], ["--hostname-override=n"], ["--resolv-conf=/etc/resolv.conf"]];
  const cases = COMPONENTS.flatMap((c) => envs.flatMap((env) => argSets.map((args) => [c, env, args] as const)));

  test.each(cases)("%s %j %j", (component, env, args) => {
    const argv = [component, ...args];
    const actions = plan(argv, env, facts({ systemdResolved: true, resolvedConf: true }));
    const terminal = actions.filter((a) => a.do === "exec" || a.do === "supervise");
    expect(terminal).toHaveLength(1);
    expect(last(actions)).toBe(terminal[0]!);
    const started = terminal[0]!.do === "exec" ? terminal[0]!.argv : (terminal[0] as Extract<Action, { do: "supervise" }>).second;
    expect(started.slice(0, argv.length)).toEqual(argv);
    const isKubelet = component === "kubelet";
    expect(terminal[0]!.do === "supervise").toBe(isKubelet && env.RKE_KUBELET_CRIDOCKERD === "true");
    expect(actions.some((a) => a.do === "rbind")).toBe(isKubelet);
    expect(actions.some((a) => a.do === "azure-cloud-config")).toBe(wantsAzure(argv));
    expect(actions.some((a) => a.do === "run" && a.argv[0] === "modprobe")).toBe(component === "kube-proxy" && env.RKE_KUBE_PROXY_BR_NETFILTER === "true");
    expect(actions.some((a) => a.do === "run" && a.argv[0] === "update-alternatives")).toBe(isKubelet || component === "kube-proxy");
  });
});
