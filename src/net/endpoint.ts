/**
 * The one host[:port] parser. Every place that takes an address uses it: etcd's `--endpoints`
 * (etcd/endpoints.ts), download's `--local-endpoint`, `--s3-endpoint` and `CP_HOSTS`. They differ
 * only in rules (a default port, whether a port may be given, a bare IPv6 address, a scheme, how
 * strict a host name is), given as options, and in wording: the parser names the problem, the site
 * turns it into its own message with `invalid`.
 */
import { isIPv4, isIPv6 } from "node:net";

export type HostKind = "ipv4" | "ipv6" | "name";

export interface Endpoint {
  /** As given, for log lines. */
  text: string;
  /** Without brackets: `10.0.0.1`, `node-1`, `fd00::1`. */
  host: string;
  kind: HostKind;
  port: number;
  /** `host:port` for a URL or a dial, IPv6 in brackets. */
  target: string;
}

/** What is wrong, for the site's wording; checked in this order. */
export type EndpointProblem =
  | { kind: "empty" }
  /** `scheme://` where no scheme, or not this one, is allowed. */
  | { kind: "scheme"; scheme: string }
  /** White space or a URL delimiter (`/ ? # @`): a URL or a path, not host[:port]. */
  | { kind: "delimiter"; char: string }
  /** A bare IPv6 address where brackets are required. */
  | { kind: "brackets" }
  /** Not an IPv6 address where one is written (in brackets, or with two colons or more). */
  | { kind: "ipv6"; host: string }
  /** An IPv6 zone (`fe80::1%eth0`) where none is allowed. */
  | { kind: "zone" }
  /** A number given as port where no port may be given. */
  | { kind: "has-port"; port: string }
  /** Digits and dots that are not an IPv4 address (strict host names only). */
  | { kind: "ipv4"; host: string }
  | { kind: "host"; host: string }
  /** Not a number ("" when the text ends with a colon). */
  | { kind: "port"; port: string }
  | { kind: "port-range"; port: string };

export interface EndpointRules {
  /** The port when the text has none (and the port always, with `noPort`). */
  defaultPort: number;
  /** Refuse a port: the site's port is fixed (CP_HOSTS). */
  noPort?: boolean;
  /** Schemes allowed before `://` (stripped, with trailing slashes); none by default. */
  schemes?: readonly string[];
  /** An IPv6 address without brackets (it then carries no port); else brackets are required. */
  bareIPv6?: boolean;
  /** An IPv6 zone (`%eth0`); allowed unless false. */
  zone?: boolean;
  /** "dns": IPv4 or RFC 1123 host names; "loose" (default): anything without white space, delimiters or brackets. */
  names?: "loose" | "dns";
  /** The site's error for a problem. */
  invalid(problem: EndpointProblem): Error;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const DELIMITER = /[\s/?#@]/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** RFC 1123: dot-separated labels of letters, digits and inner hyphens, 1–63 each, 253 in all. */
export function isHostName(s: string): boolean {
  return s.length <= 253 && s.split(".").every((l) => LABEL.test(l));
}

export function parseEndpoint(text: string, rules: EndpointRules): Endpoint {
  const fail = (p: EndpointProblem) => rules.invalid(p);
  let rest = text;
  if (rest === "") throw fail({ kind: "empty" });
  const scheme = SCHEME.exec(rest);
  if (scheme) {
    if (!rules.schemes?.includes(scheme[1]!.toLowerCase())) throw fail({ kind: "scheme", scheme: scheme[1]! });
    rest = rest.slice(scheme[0].length).replace(/\/+$/, "");
  }
  const delimiter = DELIMITER.exec(rest);
  if (delimiter) throw fail({ kind: "delimiter", char: delimiter[0] });

  let host: string;
  let portText: string | undefined;
  let kind: HostKind;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(rest);
  const colons = rest.split(":").length - 1;
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (colons > 1) host = rest;
  else [host, portText] = rest.split(":") as [string, string | undefined];
  // A port where none may be is named first: it is the likely mistake, whatever the host.
  if (rules.noPort && portText !== undefined && (bracketed || host !== "")) {
    throw fail(/^\d+$/.test(portText) ? { kind: "has-port", port: portText } : { kind: "port", port: portText });
  }
  if (bracketed || colons > 1) {
    if (!bracketed && !rules.bareIPv6) throw fail({ kind: "brackets" });
    if (!isIPv6(host)) throw fail({ kind: "ipv6", host });
    if (rules.zone === false && host.includes("%")) throw fail({ kind: "zone" });
    kind = "ipv6";
  } else {
    kind = isIPv4(host) ? "ipv4" : "name";
  }
  if (kind === "name") checkName(host, rules.names ?? "loose", fail);
  const port = portText === undefined ? rules.defaultPort : portOf(portText, fail);
  return { text, host, kind, port, target: kind === "ipv6" ? `[${host}]:${port}` : `${host}:${port}` };
}

function checkName(host: string, names: "loose" | "dns", fail: (p: EndpointProblem) => Error): void {
  if (host === "" || /[[\]]/.test(host)) throw fail({ kind: "host", host });
  if (names === "loose") return;
  if (/^[0-9.]+$/.test(host)) throw fail({ kind: "ipv4", host });
  // One trailing dot (a fully qualified name) is allowed.
  if (!isHostName(host.endsWith(".") ? host.slice(0, -1) : host)) throw fail({ kind: "host", host });
}

function portOf(text: string, fail: (p: EndpointProblem) => Error): number {
  if (!/^\d+$/.test(text)) throw fail({ kind: "port", port: text });
  const n = Number(text);
  if (n < 1 || n > 65535) throw fail({ kind: "port-range", port: text });
  return n;
}
