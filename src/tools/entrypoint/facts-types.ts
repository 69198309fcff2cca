import type { MountEntry } from "./mountinfo.ts";

/** What the plan needs to know about the host; gathered by facts.ts, made up by the tests. */
export interface Facts {
  /** Programs found on PATH (update-alternatives, modprobe), by name. */
  programs: Record<string, boolean>;
  /** /usr/sbin/iptables-wrapper exists in the component's image. */
  iptablesWrapper: boolean;
  /** /proc/sys/net/bridge exists (br_netfilter is loaded). */
  brNetfilterLoaded: boolean;
  /** The hostname for --hostname-override, when it was asked for. */
  hostname?: { value: string; source: "ec2-imds" | "hostname -f" };
  /** From the Docker Engine API; undefined when it could not be asked. */
  docker?: DockerFacts;
  /** Mount table in mount order (container paths). */
  mounts: MountEntry[];
  /** Names of the directories (or links to directories) in /sys/fs/cgroup. */
  cgroupDirs: string[];
  /** SELinux is enabled on the host (selinuxfs present). */
  selinux: boolean;
  /** The first host os-release that exists, as a container path. */
  hostOsRelease?: string;
  /** A process named systemd-resolved runs on the host. */
  systemdResolved: boolean;
  /** /run/systemd/resolve/resolv.conf exists. */
  resolvedConf: boolean;
}

export interface DockerFacts {
  cgroupDriver: string;
  cgroupVersion: string;
  rootDir: string;
}
