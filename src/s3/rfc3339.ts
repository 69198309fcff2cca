/**
 * Strict RFC 3339 as Go's time.Parse(time.RFC3339, s) accepts it (spec d-8): `T` and `Z` upper
 * case, optional fraction, `Z` or ±hh:mm, every field in range. `Date.parse` would accept "2024" or
 * locale forms, and would turn a stray file into a deletion.
 */
const RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The instant, or undefined when `s` is not RFC 3339. */
export function parseRfc3339(s: string): Date | undefined {
  const m = RE.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, min, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || min > 59 || sec > 59) return undefined;
  let offsetMin = 0;
  if (m[8] !== "Z") {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (m[8]![0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const frac = m[7] ? Number(`0${m[7]}`) * 1000 : 0;
  return new Date(Date.UTC(year, month - 1, day, hour, min, sec) + Math.floor(frac) - offsetMin * 60_000);
}
