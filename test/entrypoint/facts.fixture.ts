/** Made-up host facts for the pure plan tests. */
import type { Facts } from "../../src/tools/entrypoint/facts-types.ts";
import type { MountEntry } from "../../src/tools/entrypoint/mountinfo.ts";

export function mounts(...targets: string[]): MountEntry[] {
  return targets.map((target) => ({ target, options: ["rw", "nosuid", "nodev", "noexec", "relatime"], fstype: "tmpfs", superOptions: ["rw", "mode=755"] }));
}

export function facts(over: Partial<Facts> = {}): Facts {
  return {
    programs: { "update-alternatives": true, modprobe: true },
    iptablesWrapper: true,
    brNetfilterLoaded: false,
    docker: { cgroupDriver: "cgroupfs", cgroupVersion: "1", rootDir: "/var/lib/docker" },
    mounts: mounts("/", "/sys/fs/cgroup"),
    cgroupDirs: ["cpu", "cpu,cpuacct", "memory", "net_cls,net_prio"],
    selinux: false,
    systemdResolved: false,
    resolvedConf: false,
    ...over,
  };
}
