/**
 * What a failed fetch means, in one table for every HTTP client here (S3's transport, the peer
 * download, the Kubernetes API): the error's code sorted into a kind callers branch on. The words
 * stay with each caller, which knows its contract (S3's "TLS: <code>" lines, the download's hints
 * about --cacert and --cert).
 */
import { messageOf } from "../errors.ts";

export type FetchFailureKind =
  /** The server's chain does not lead to a CA we trust. */
  | "untrusted"
  | "expired"
  /** Any other certificate or TLS failure (an unexpected name, a protocol version, …). */
  | "tls"
  | "refused"
  /** The connection was closed under us: before an answer, likely the server refusing our certificate. */
  | "reset"
  /** EPROTO: the handshake broke off, likely the server refusing our certificate. */
  | "handshake"
  | "other";

export interface FetchFailure {
  kind: FetchFailureKind;
  /** The error's code ("ECONNREFUSED", "CERT_HAS_EXPIRED"), "" when it has none. */
  code: string;
  /** Its message without Bun's advice to its own developers. */
  message: string;
}

const KINDS = new Map<string, FetchFailureKind>([
  ["SELF_SIGNED_CERT_IN_CHAIN", "untrusted"],
  ["DEPTH_ZERO_SELF_SIGNED_CERT", "untrusted"],
  ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "untrusted"],
  ["UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "untrusted"],
  ["CERT_HAS_EXPIRED", "expired"],
  ["ECONNREFUSED", "refused"],
  ["ECONNRESET", "reset"],
  ["EPROTO", "handshake"],
]);

/** The other certificate and TLS codes of Bun's fetch (ERR_TLS_CERT_ALTNAME_INVALID, …). */
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|TLS|SSL|HANDSHAKE/i;

export function fetchFailure(e: unknown): FetchFailure {
  const code = (e as { code?: unknown })?.code;
  const c = typeof code === "string" ? code : "";
  const kind = KINDS.get(c) ?? (c !== "" && TLS_CODE.test(c) ? "tls" : "other");
  return { kind, code: c, message: fetchErrorMessage(e) };
}

/** A certificate or TLS failure: retrying will not help. */
export function isTlsFailure(f: FetchFailure): boolean {
  return f.kind === "untrusted" || f.kind === "expired" || f.kind === "tls";
}

/** A fetch error's message without the advice Bun adds for its own developers ("For more information, pass `verbose: true` …"). */
export function fetchErrorMessage(e: unknown): string {
  return messageOf(e).replace(/\.?\s*For more information, pass `verbose: true`.*$/s, "");
}
