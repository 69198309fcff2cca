/**
 * `--endpoints` as RKE passes it: `host:port`, a comma list, optionally `https://`; IPv6 in
 * brackets (`[fd00::1]:2379`, broken in the original, docs/contract.md §d-22). A bare host gets etcd's 2379.
 */
import { isIP } from "node:net";
import { ErrorCode, RkeToolsError } from "../errors.ts";

export interface Endpoint {
  /** As given, for log lines. */
  text: string;
  host: string;
  port: number;
  /** `host:port` for the URL, IPv6 bracketed. */
  target: string;
}

export function parseEndpoints(list: string, flag = "--endpoints"): Endpoint[] {
  const parts = list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (parts.length === 0) throw invalid(flag, list, "no endpoint given");
  return parts.map((p) => parseEndpoint(p, flag));
}

function parseEndpoint(text: string, flag: string): Endpoint {
  let rest = text;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rest);
  if (scheme) {
    if (scheme[1]!.toLowerCase() !== "https") throw invalid(flag, text, `scheme ${scheme[1]} is not supported (etcd is reached over TLS)`);
    rest = rest.slice(scheme[0].length).replace(/\/+$/, "");
  }
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
    if (isIP(host) !== 6) throw invalid(flag, text, `${host} is not an IPv6 address`);
  } else {
    const colons = rest.split(":").length - 1;
    if (colons > 1) throw invalid(flag, text, "an IPv6 address needs brackets, as in [fd00::1]:2379");
    [host, portText] = rest.split(":") as [string, string | undefined];
  }
  if (host === "" || /[\s/]/.test(host)) throw invalid(flag, text, "missing or bad host");
  const port = portText === undefined ? 2379 : Number(portText);
  if (!/^\d{1,5}$/.test(portText ?? "2379") || port < 1 || port > 65535) throw invalid(flag, text, `bad port ${JSON.stringify(portText)}`);
  const target = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return { text, host, port, target };
}

function invalid(flag: string, value: string, why: string): RkeToolsError {
  return new RkeToolsError(ErrorCode.InvalidInput, `invalid value ${JSON.stringify(value)} for flag ${flag}: ${why}`);
}
