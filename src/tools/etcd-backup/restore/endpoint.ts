/**
 * `--local-endpoint` to a URL host. RKE passes a bare address; the original appended `:2379`
 * blindly, so an IPv6 address (no brackets) or a `host:port` could not work (docs/contract.md §o-9,
 * §d-16). Accepted here: `10.0.0.1`, `node-1`, `fd00::1`, `[fd00::1]`, and with a port
 * `10.0.0.1:2379` or `[fd00::1]:2379`.
 */
import { ErrorCode, RkeToolsError } from "../../../errors.ts";

export interface Endpoint {
  /** Host as it goes in a URL: IPv6 in brackets. */
  host: string;
  /** As given, without a port: what the original logs. */
  display: string;
  port: number;
}

export function parseEndpoint(value: string, defaultPort: number): Endpoint {
  const bad = (why: string) => new RkeToolsError(ErrorCode.InvalidInput, `invalid --local-endpoint ${JSON.stringify(value)}: ${why}`);
  const v = value.trim();
  if (v === "") throw bad("it is empty");
  if (/[\s/?#@]/.test(v)) throw bad("give an address or host name, optionally with :port");
  let m = /^\[([0-9A-Fa-f:.%\w]+)\](?::(\d+))?$/.exec(v);
  if (m) return { host: `[${m[1]}]`, display: m[1]!, port: portOf(m[2], defaultPort, bad) };
  const colons = v.split(":").length - 1;
  if (colons >= 2) return { host: `[${v}]`, display: v, port: defaultPort }; // bare IPv6
  m = /^([^:]+):(\d+)$/.exec(v);
  if (m) return { host: m[1]!, display: m[1]!, port: portOf(m[2], defaultPort, bad) };
  if (colons === 1) throw bad("the port is not a number");
  return { host: v, display: v, port: defaultPort };
}

function portOf(s: string | undefined, d: number, bad: (why: string) => Error): number {
  if (s === undefined) return d;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw bad(`port ${s} is out of range`);
  return n;
}
