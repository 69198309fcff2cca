import { describe, expect, test } from "bun:test";
import { type EndpointProblem, type EndpointRules, parseEndpoint } from "../../src/net/endpoint.ts";

class Refused extends Error {
  constructor(readonly problem: EndpointProblem) {
    super(problem.kind);
  }
}

const base: EndpointRules = { defaultPort: 2379, invalid: (p) => new Refused(p) };

function problem(text: string, rules: Partial<EndpointRules> = {}): EndpointProblem {
  try {
    parseEndpoint(text, { ...base, ...rules });
  } catch (e) {
    if (e instanceof Refused) return e.problem;
    throw e;
  }
  throw new Error(`${JSON.stringify(text)} was accepted`);
}

describe("parseEndpoint", () => {
  test("IPv4, names and IPv6, with and without a port; the target brackets IPv6", () => {
    const at = (text: string, rules: Partial<EndpointRules> = {}) => {
      const e = parseEndpoint(text, { ...base, ...rules });
      return [e.host, e.kind, e.port, e.target];
    };
    expect(at("10.0.0.1")).toEqual(["10.0.0.1", "ipv4", 2379, "10.0.0.1:2379"]);
    expect(at("10.0.0.1:12379")).toEqual(["10.0.0.1", "ipv4", 12379, "10.0.0.1:12379"]);
    expect(at("node-1")).toEqual(["node-1", "name", 2379, "node-1:2379"]);
    expect(at("[fd00::1]")).toEqual(["fd00::1", "ipv6", 2379, "[fd00::1]:2379"]);
    expect(at("[fd00::1]:1")).toEqual(["fd00::1", "ipv6", 1, "[fd00::1]:1"]);
    expect(at("fd00::1", { bareIPv6: true })).toEqual(["fd00::1", "ipv6", 2379, "[fd00::1]:2379"]);
    expect(at("https://10.0.0.1:2379/", { schemes: ["https"] })).toEqual(["10.0.0.1", "ipv4", 2379, "10.0.0.1:2379"]);
    expect(at("Cp-1.Example.com.", { names: "dns" })).toEqual(["Cp-1.Example.com.", "name", 2379, "Cp-1.Example.com.:2379"]);
    expect(parseEndpoint("[fe80::1%eth0]", base).host).toBe("fe80::1%eth0");
  });

  test("each problem is named, in order", () => {
    expect(problem("")).toEqual({ kind: "empty" });
    expect(problem("https://h")).toEqual({ kind: "scheme", scheme: "https" });
    expect(problem("http://h", { schemes: ["https"] })).toEqual({ kind: "scheme", scheme: "http" });
    expect(problem("h:1/x")).toEqual({ kind: "delimiter", char: "/" });
    expect(problem("a@b:2379")).toEqual({ kind: "delimiter", char: "@" });
    expect(problem("a b")).toEqual({ kind: "delimiter", char: " " });
    expect(problem("fd00::1:2379")).toEqual({ kind: "brackets" });
    expect(problem("a:b:c", { bareIPv6: true })).toEqual({ kind: "ipv6", host: "a:b:c" });
    expect(problem("[zz]:1")).toEqual({ kind: "ipv6", host: "zz" });
    expect(problem("[fe80::1%eth0]", { zone: false })).toEqual({ kind: "zone" });
    expect(problem("h:6443", { noPort: true })).toEqual({ kind: "has-port", port: "6443" });
    expect(problem("[zz]:6443", { noPort: true })).toEqual({ kind: "has-port", port: "6443" });
    expect(problem("h:x", { noPort: true })).toEqual({ kind: "port", port: "x" });
    expect(problem("10.0.0.256", { names: "dns" })).toEqual({ kind: "ipv4", host: "10.0.0.256" });
    expect(problem("host_name", { names: "dns" })).toEqual({ kind: "host", host: "host_name" });
    expect(problem(`${"x".repeat(64)}.com`, { names: "dns" })).toEqual({ kind: "host", host: `${"x".repeat(64)}.com` });
    expect(problem(":2379")).toEqual({ kind: "host", host: "" });
    expect(problem("[abc")).toEqual({ kind: "host", host: "[abc" });
    expect(problem("h:")).toEqual({ kind: "port", port: "" });
    expect(problem("h:x1")).toEqual({ kind: "port", port: "x1" });
    expect(problem("h:0")).toEqual({ kind: "port-range", port: "0" });
    expect(problem("h:65536")).toEqual({ kind: "port-range", port: "65536" });
  });

  test("loose names (etcd, peers) take what a resolver may know; dns names are RFC 1123", () => {
    expect(parseEndpoint("host_name", base).kind).toBe("name");
    expect(parseEndpoint("10.0.0.256", base).kind).toBe("name");
  });
});
