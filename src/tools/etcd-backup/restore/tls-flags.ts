/** serve and download need all three TLS flags; checked and loaded before anything else happens. */
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import { loadTlsFiles, type TlsFiles } from "../../../tls/pem.ts";

export function requireTls(flags: { cacert: string; cert: string; key: string }): TlsFiles {
  if (!flags.cacert || !flags.cert || !flags.key) throw new RkeToolsError(ErrorCode.InvalidInput, "cacert, cert and key are required");
  return loadTlsFiles(flags);
}

/** Test-only: RKE_TOOLS_SERVE_PORT moves serve's listener and download's target off 2379 (0 = any free port for serve). */
export function servePortFrom(env: Record<string, string | undefined>, fallback: number): number {
  const v = env.RKE_TOOLS_SERVE_PORT;
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new RkeToolsError(ErrorCode.InvalidInput, `RKE_TOOLS_SERVE_PORT=${v} is not a port number`);
  return n;
}

/** Test-only: RKE_TOOLS_SERVE_HOSTS (comma-separated) replaces serve's 0.0.0.0 and [::], so tests stay on loopback. */
export function serveHostsFrom(env: Record<string, string | undefined>): string[] | undefined {
  const v = env.RKE_TOOLS_SERVE_HOSTS;
  return v ? v.split(",").map((h) => h.trim()).filter((h) => h !== "") : undefined;
}
