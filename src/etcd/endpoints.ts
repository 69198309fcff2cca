/**
 * `--endpoints` as RKE passes it: `host:port`, a comma list, optionally `https://`; IPv6 in
 * brackets (`[fd00::1]:2379`, broken in the original, docs/contract.md §d-22). A bare host gets etcd's 2379.
 */
import { ErrorCode, RkeToolsError } from "../errors.ts";
import { type Endpoint, type EndpointProblem, parseEndpoint } from "../net/endpoint.ts";

export type { Endpoint } from "../net/endpoint.ts";

export function parseEndpoints(list: string, flag = "--endpoints"): Endpoint[] {
  const parts = list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (parts.length === 0) throw invalid(flag, list, "no endpoint given");
  return parts.map((text) => parseEndpoint(text, { defaultPort: 2379, schemes: ["https"], invalid: (p) => invalid(flag, text, why(p)) }));
}

function why(p: EndpointProblem): string {
  switch (p.kind) {
    case "scheme":
      return `scheme ${p.scheme} is not supported (etcd is reached over TLS)`;
    case "ipv6":
      return `${p.host} is not an IPv6 address`;
    case "brackets":
      return "an IPv6 address needs brackets, as in [fd00::1]:2379";
    case "port":
    case "port-range":
      return `bad port ${JSON.stringify(p.port)}`;
    default:
      return "missing or bad host";
  }
}

function invalid(flag: string, value: string, why: string): RkeToolsError {
  return new RkeToolsError(ErrorCode.InvalidInput, `invalid value ${JSON.stringify(value)} for flag ${flag}: ${why}`);
}
