/**
 * The original's key rule (docs/contract.md §d-11): a value is base64-decoded when it is valid *standard* base64
 * (alphabet A–Z a–z 0–9 + /, padding required, CR and LF ignored as Go's decoder does), else it is
 * used as given. Go's decoder also rejects non-canonical trailing bits; so do we.
 */
const STD = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeStdBase64(value: string): Uint8Array | undefined {
  const s = value.replace(/[\r\n]/g, "");
  if (s.length % 4 !== 0 || !STD.test(s)) return undefined;
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  if (s.slice(0, s.length - pad).includes("=")) return undefined;
  const bytes = Buffer.from(s, "base64");
  // Non-canonical encodings (stray low bits before the padding) do not round-trip: Go rejects them.
  if (bytes.toString("base64") !== s) return undefined;
  return new Uint8Array(bytes);
}

/**
 * The decoded key when `value` is valid standard base64 AND decodes to printable ASCII, else
 * `value` unchanged. The second condition is ours: a plain key that happens to be valid base64
 * (`LOCALS3TESTACCESSKEY`) decodes to binary that can never authenticate — the original then sent
 * garbage (rancher/rancher#33835); we use the key as given. Real keys are printable, so every key
 * the original decoded successfully decodes here too.
 */
export function decodeIfBase64(value: string): string {
  if (value === "") return value;
  const bytes = decodeStdBase64(value);
  if (bytes === undefined || bytes.length === 0 || !bytes.every((b) => b >= 0x21 && b <= 0x7e)) return value;
  return Buffer.from(bytes).toString("latin1");
}
