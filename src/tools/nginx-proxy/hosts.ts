/**
 * CP_HOSTS: the comma-separated InternalAddress of every control-plane host, in cluster order
 * (docs/contract.md §a.2). Validated here so that a bad list is one line naming CP_HOSTS and the entry,
 * instead of an nginx [emerg] about line 13 of a generated file.
 */
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { type EndpointProblem, parseEndpoint } from "../../net/endpoint.ts";

export type HostKind = "ipv4" | "ipv6" | "hostname";

export interface ControlPlaneHost {
  /** As nginx wants it in `server <host>:<port>`: IPv6 in brackets. */
  address: string;
  kind: HostKind;
}

export interface ParsedHosts {
  hosts: ControlPlaneHost[];
  /** Entries dropped because an earlier entry named the same host. */
  duplicates: string[];
}

function invalid(raw: string, entry: string, n: number, why: string): RkeToolsError {
  return new RkeToolsError(ErrorCode.InvalidInput, `Cannot configure nginx-proxy: CP_HOSTS entry ${n} ${JSON.stringify(entry)} ${why} (CP_HOSTS=${JSON.stringify(raw)})`);
}

function why(p: EndpointProblem): string {
  switch (p.kind) {
    case "zone":
      return "has an IPv6 zone, which nginx cannot connect to";
    case "has-port":
      return "has a port; CP_HOSTS takes addresses only (the port is 6443)";
    case "ipv4":
      return "is not a valid IPv4 address";
    default:
      return "is not an IPv4 address, an IPv6 address or a host name";
  }
}

function classify(raw: string, entry: string, n: number): ControlPlaneHost {
  const e = parseEndpoint(entry, { defaultPort: 6443, noPort: true, bareIPv6: true, zone: false, names: "dns", invalid: (p) => invalid(raw, entry, n, why(p)) });
  switch (e.kind) {
    case "ipv4":
      return { address: e.host, kind: "ipv4" };
    case "ipv6":
      // Normalised (fd00:0::1 and FD00::1 are one host), bracketed for `server [..]:6443`.
      return { address: new URL(`http://[${e.host}]/`).hostname, kind: "ipv6" };
    default:
      return { address: e.host.replace(/\.$/, "").toLowerCase(), kind: "hostname" };
  }
}

export function parseControlPlaneHosts(raw: string | undefined): ParsedHosts {
  if (raw === undefined || raw.trim() === "") {
    throw new RkeToolsError(ErrorCode.InvalidInput, "Cannot configure nginx-proxy: CP_HOSTS is empty or not set (want a comma-separated list of control-plane addresses)");
  }
  const hosts: ControlPlaneHost[] = [];
  const duplicates: string[] = [];
  const seen = new Set<string>();
  raw.split(",").forEach((part, i) => {
    const entry = part.trim();
    if (entry === "") throw invalid(raw, part, i + 1, "is empty");
    if (/\s/.test(entry)) throw invalid(raw, entry, i + 1, "contains white space");
    const host = classify(raw, entry, i + 1);
    if (seen.has(host.address)) {
      duplicates.push(entry);
      return;
    }
    seen.add(host.address);
    hosts.push(host);
  });
  return { hosts, duplicates };
}
