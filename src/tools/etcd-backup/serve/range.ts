/**
 * The Range requests serve answers (RFC 9110 §14): one range, `bytes=a-b`, `bytes=a-` or
 * `bytes=-n`. Several ranges get the whole file (200), which the RFC allows; Go answered them
 * with multipart/byteranges, which no RKE client asks for.
 */
export type RangeAnswer = { start: number; end: number; partial: boolean } | "unsatisfiable";

export function answerRange(header: string | null, size: number): RangeAnswer {
  const whole = { start: 0, end: size - 1, partial: false };
  if (!header) return whole;
  const m = /^bytes=\s*(\d*)-(\d*)\s*$/.exec(header.trim());
  if (!m) return whole; // several ranges or another unit
  const [, a, b] = m;
  if (a === "" && b === "") return whole;
  if (a === "") {
    const n = Number(b);
    // An empty file has no last bytes: 416, never `Content-Range: bytes 0--1/0` (issue 19.21).
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1, partial: true };
  }
  const start = Number(a);
  if (start >= size) return "unsatisfiable";
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (end < start) return whole; // invalid: ignore the header
  return { start, end, partial: true };
}
