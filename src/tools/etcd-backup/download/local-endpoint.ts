/**
 * `--local-endpoint` to a URL host. RKE passes a bare address; the original appended `:2379`
 * blindly, so an IPv6 address (no brackets) or a `host:port` could not work (docs/contract.md §o-9,
 * §d-16). Accepted here: `10.0.0.1`, `node-1`, `fd00::1`, `[fd00::1]`, and with a port
 * `10.0.0.1:2379` or `[fd00::1]:2379`. The endpoint's `host` (no brackets, no port) is what the
 * original logs.
 */
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import { type Endpoint, type EndpointProblem, parseEndpoint } from "../../../net/endpoint.ts";

export function localEndpoint(value: string, defaultPort: number): Endpoint {
  const bad = (why: string) => new RkeToolsError(ErrorCode.InvalidInput, `invalid --local-endpoint ${JSON.stringify(value)}: ${why}`);
  return parseEndpoint(value.trim(), { defaultPort, bareIPv6: true, invalid: (p) => bad(why(p)) });
}

function why(p: EndpointProblem): string {
  switch (p.kind) {
    case "empty":
      return "it is empty";
    case "port":
      return "the port is not a number";
    case "port-range":
      return `port ${p.port} is out of range`;
    default:
      return "give an address or host name, optionally with :port";
  }
}
