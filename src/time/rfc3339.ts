/**
 * Go's time.RFC3339 for rolling snapshot names: format without fractional seconds (not
 * toISOString, docs/contract.md §d-8) and strict parsing ("2006-01-02T15:04:05Z07:00"; Go also accepts a
 * fraction after the seconds). Date.parse is far too lenient for retention decisions.
 */
export const RFC3339_LAYOUT = "2006-01-02T15:04:05Z07:00";

export function formatRfc3339(t: Date): string {
  return t.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Milliseconds since the epoch, or an Error worded like Go's. */
export function parseRfc3339(s: string): number | Error {
  const m = PATTERN.exec(s);
  const fail = (why: string) => new Error(`parsing time ${JSON.stringify(s)} as ${JSON.stringify(RFC3339_LAYOUT)}: ${why}`);
  if (!m) return fail(`cannot parse ${JSON.stringify(s)} as RFC3339`);
  const [year, month, day, hour, min, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return fail("month out of range");
  const daysIn = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysIn) return fail("day out of range");
  if (hour > 23) return fail("hour out of range");
  if (min > 59) return fail("minute out of range");
  if (sec > 59) return fail("second out of range");
  let offsetMin = 0;
  if (m[8] !== "Z") {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return fail("time zone offset hour out of range");
    offsetMin = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const frac = m[7] ? Number(`0${m[7]}`) * 1000 : 0;
  const utc = Date.UTC(year, month - 1, day, hour, min, sec) + Math.floor(frac);
  // Date.UTC maps years 0..99 to 1900+; Go does not.
  const fixed = year < 100 ? new Date(utc).setUTCFullYear(year) : utc;
  return fixed - offsetMin * 60_000;
}
