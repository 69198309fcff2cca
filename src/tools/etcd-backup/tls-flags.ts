/** serve and download need all three TLS flags; checked and loaded before anything else happens. */
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { loadTlsFiles, type TlsFiles } from "../../tls/pem.ts";

export function requireTls(flags: { cacert: string; cert: string; key: string }): TlsFiles {
  if (!flags.cacert || !flags.cert || !flags.key) throw new RkeToolsError(ErrorCode.InvalidInput, "cacert, cert and key are required");
  return loadTlsFiles(flags);
}
