/**
 * The entrypoint's environment knobs (src/env/knob.ts), all TEST ONLY: they relocate the host it
 * works on under a temporary root and point its metadata clients at loopback servers. Nothing in
 * the image or in RKE sets them (docs/contract.md §d-9).
 */
import { knob } from "../../env/knob.ts";
import { absolutePath, url } from "../../env/parse.ts";

const LINK_LOCAL = "http://169.254.169.254";

export const ENTRYPOINT_ROOT = knob({
  name: "RKE_TOOLS_ENTRYPOINT_ROOT",
  audience: "test",
  readBy: "entrypoint.sh, cloud-provider.sh",
  shows: "empty",
  fallback: "",
  parse: (raw) => absolutePath(raw).replace(/\/+$/, ""),
  describe: "prefix of every container path the entrypoint touches (`/host/dev`, `/sys/fs/cgroup`, `/opt/rke-tools`, …)",
});
export const PROC_DIR = knob({
  name: "RKE_TOOLS_PROC_DIR",
  audience: "test",
  readBy: "entrypoint.sh",
  shows: "`/proc`",
  fallback: "/proc",
  parse: absolutePath,
  describe: "where the entrypoint reads mountinfo, the process list and `/proc/sys`",
});
export const DOCKER_SOCK = knob({
  name: "RKE_TOOLS_DOCKER_SOCK",
  audience: "test",
  readBy: "entrypoint.sh",
  shows: "`<root>/var/run/docker.sock`",
  fallback: undefined as string | undefined,
  parse: absolutePath,
  describe: "the Docker Engine API socket",
});
export const EC2_IMDS_URL = knob({
  name: "RKE_TOOLS_EC2_IMDS_URL",
  audience: "test",
  readBy: "entrypoint.sh",
  shows: `\`${LINK_LOCAL}\``,
  fallback: LINK_LOCAL,
  parse: url,
  describe: "the EC2 instance metadata service (hostname-override)",
});
export const AZURE_IMDS_URL = knob({
  name: "RKE_TOOLS_AZURE_IMDS_URL",
  audience: "test",
  readBy: "entrypoint.sh, cloud-provider.sh",
  shows: `\`${LINK_LOCAL}\``,
  fallback: LINK_LOCAL,
  parse: url,
  describe: "the Azure instance metadata service",
});
export const AZURE_AAD_URL = knob({
  name: "RKE_TOOLS_AZURE_AAD_URL",
  audience: "test",
  readBy: "entrypoint.sh, cloud-provider.sh",
  shows: "the cloud's own",
  fallback: undefined as string | undefined,
  parse: url,
  describe: "the Azure AD token endpoint",
});
export const AZURE_ARM_URL = knob({
  name: "RKE_TOOLS_AZURE_ARM_URL",
  audience: "test",
  readBy: "entrypoint.sh, cloud-provider.sh",
  shows: "the cloud's own",
  fallback: undefined as string | undefined,
  parse: url,
  describe: "the Azure Resource Manager endpoint",
});
