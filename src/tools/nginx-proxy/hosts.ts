/**
 * CP_HOSTS: the comma-separated InternalAddress of every control-plane host, in cluster order
 * (docs/contract.md §a.2). Validated here so that a bad list is one line naming CP_HOSTS and the entry,
 * instead of an nginx [emerg] about line 13 of a generated file.
 */
import { isIPv4, isIPv6 } from "node:net";
import { ErrorCode, RkeToolsError } from "../../errors.ts";

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

// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens, ≤ 253 characters.
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function invalid(raw: string, entry: string, n: number, why: string): RkeToolsError {
  return new RkeToolsError(ErrorCode.InvalidInput, `Cannot configure nginx-proxy: CP_HOSTS entry ${n} ${JSON.stringify(entry)} ${why} (CP_HOSTS=${JSON.stringify(raw)})`);
}

function classify(raw: string, entry: string, n: number): ControlPlaneHost {
  const bare = entry.startsWith("[") && entry.endsWith("]") ? entry.slice(1, -1) : entry;
  if (isIPv4(entry)) return { address: entry, kind: "ipv4" };
  if (isIPv6(bare)) {
    if (bare.includes("%")) throw invalid(raw, entry, n, "has an IPv6 zone, which nginx cannot connect to");
    // Normalised (fd00:0::1 and FD00::1 are one host), bracketed for `server [..]:6443`.
    return { address: new URL(`http://[${bare}]/`).hostname, kind: "ipv6" };
  }
  if (/^[^:]+:\d+$/.test(entry) || /^\[.*\]:\d+$/.test(entry)) throw invalid(raw, entry, n, "has a port; CP_HOSTS takes addresses only (the port is 6443)");
  if (/^[0-9.]+$/.test(entry)) throw invalid(raw, entry, n, "is not a valid IPv4 address");
  const name = entry.endsWith(".") ? entry.slice(0, -1) : entry;
  if (name.length <= 253 && name.split(".").every((l) => LABEL.test(l))) return { address: name.toLowerCase(), kind: "hostname" };
  throw invalid(raw, entry, n, "is not an IPv4 address, an IPv6 address or a host name");
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
