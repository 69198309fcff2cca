/** What serve and download agree on: the port a peer serves on, and the header its chunked body announces the length in. */

/** serve's port and download's default for a bare --local-endpoint (docs/contract.md §o-8). */
export const SERVE_PORT = 2379;

/** Our serve's body is chunked (serve/server.ts); it announces the length in this header instead. */
export const LENGTH_HEADER = "x-rke-tools-length";
