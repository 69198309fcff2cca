/** net/fetch-error.ts: one table of what a failed fetch means, for S3 and the peer download alike. */
import { expect, test } from "bun:test";
import { fetchErrorMessage, fetchFailure, isTlsFailure } from "../../src/net/fetch-error.ts";

const err = (code: string | undefined, message = "boom") => Object.assign(new Error(message), code === undefined ? {} : { code });

test("codes sort into kinds; TLS kinds are the ones retrying cannot mend", () => {
  const cases: [string | undefined, string, boolean][] = [
    ["SELF_SIGNED_CERT_IN_CHAIN", "untrusted", true],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "untrusted", true],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "untrusted", true],
    ["UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "untrusted", true],
    ["CERT_HAS_EXPIRED", "expired", true],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "tls", true],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "tls", true],
    ["ECONNREFUSED", "refused", false],
    ["ECONNRESET", "reset", false],
    ["EPROTO", "handshake", false],
    ["ETIMEDOUT", "other", false],
    [undefined, "other", false],
  ];
  for (const [code, kind, tls] of cases) {
    const f = fetchFailure(err(code));
    expect([code, f.kind, isTlsFailure(f)]).toEqual([code, kind, tls]);
    expect(f.code).toBe(code ?? "");
  }
});

test("the message loses Bun's advice to its developers, and nothing else", () => {
  const e = err("ECONNREFUSED", "Unable to connect. Is the computer able to access the url? For more information, pass `verbose: true` in the second argument to fetch()");
  expect(fetchFailure(e).message).toBe("Unable to connect. Is the computer able to access the url?");
  expect(fetchErrorMessage("plain")).toBe("plain");
});
