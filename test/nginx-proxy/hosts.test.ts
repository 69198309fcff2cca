import { describe, expect, test } from "bun:test";
import { ErrorCode, isRkeToolsError } from "../../src/errors.ts";
import { parseControlPlaneHosts } from "../../src/tools/nginx-proxy/hosts.ts";

function refusal(raw: string | undefined): string {
  try {
    parseControlPlaneHosts(raw);
  } catch (e) {
    expect(isRkeToolsError(e, ErrorCode.InvalidInput)).toBe(true);
    return (e as Error).message;
  }
  throw new Error(`CP_HOSTS=${raw} was accepted`);
}

describe("CP_HOSTS", () => {
  test("IPv4, IPv6 and host names, in order; IPv6 normalised and bracketed", () => {
    const r = parseControlPlaneHosts("10.0.0.1,FD00:0::1,cp-1.example.com,[2001:db8::5]");
    expect(r.hosts).toEqual([
      { address: "10.0.0.1", kind: "ipv4" },
      { address: "[fd00::1]", kind: "ipv6" },
      { address: "cp-1.example.com", kind: "hostname" },
      { address: "[2001:db8::5]", kind: "ipv6" },
    ]);
    expect(r.duplicates).toEqual([]);
  });

  test("duplicates dropped (same host however spelled), first position kept", () => {
    const r = parseControlPlaneHosts("10.0.0.2,10.0.0.1,10.0.0.2,fd00::1,FD00:0:0::1,Cp-1,cp-1");
    expect(r.hosts.map((h) => h.address)).toEqual(["10.0.0.2", "10.0.0.1", "[fd00::1]", "cp-1"]);
    expect(r.duplicates).toEqual(["10.0.0.2", "FD00:0:0::1", "cp-1"]);
  });

  test("surrounding spaces are tolerated", () => {
    expect(parseControlPlaneHosts(" 10.0.0.1, 10.0.0.2 ").hosts.map((h) => h.address)).toEqual(["10.0.0.1", "10.0.0.2"]);
  });

  test("empty, missing and malformed entries are refused, naming CP_HOSTS and the entry", () => {
    expect(refusal(undefined)).toBe("Cannot configure nginx-proxy: CP_HOSTS is empty or not set (want a comma-separated list of control-plane addresses)");
    expect(refusal("")).toStartWith("Cannot configure nginx-proxy: CP_HOSTS is empty or not set");
    expect(refusal("10.0.0.1,,10.0.0.2")).toBe('Cannot configure nginx-proxy: CP_HOSTS entry 2 "" is empty (CP_HOSTS="10.0.0.1,,10.0.0.2")');
    expect(refusal("10.0.0.1,")).toBe('Cannot configure nginx-proxy: CP_HOSTS entry 2 "" is empty (CP_HOSTS="10.0.0.1,")');
    expect(refusal("10.0.0.1:6443")).toBe(
      'Cannot configure nginx-proxy: CP_HOSTS entry 1 "10.0.0.1:6443" has a port; CP_HOSTS takes addresses only (the port is 6443) (CP_HOSTS="10.0.0.1:6443")',
    );
    expect(refusal("[fd00::1]:6443")).toContain('entry 1 "[fd00::1]:6443" has a port');
    expect(refusal("10.0.0.256")).toContain('entry 1 "10.0.0.256" is not a valid IPv4 address');
    expect(refusal("10.0.0.1,a b")).toContain('entry 2 "a b" contains white space');
    expect(refusal("host_name")).toContain('entry 1 "host_name" is not an IPv4 address, an IPv6 address or a host name');
    expect(refusal("-bad.example")).toContain("is not an IPv4 address, an IPv6 address or a host name");
    expect(refusal("fe80::1%eth0")).toContain('entry 1 "fe80::1%eth0" has an IPv6 zone');
    expect(refusal("10.0.0.1;evil")).toContain('"10.0.0.1;evil" is not an IPv4 address');
  });
});
