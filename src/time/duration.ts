/**
 * Go's time.Duration grammar (time.ParseDuration / Duration.String), because RKE passes
 * `--creation=12h --retention=72h` and the original logs durations in Go's form (`5m0s`,
 * `23.789377ms`, `997.55µs`). Values are nanoseconds held in a bigint so that formatting is exact.
 */

export type Duration = bigint; // nanoseconds

export const Nanosecond = 1n;
export const Microsecond = 1000n;
export const Millisecond = 1_000_000n;
export const Second = 1_000_000_000n;
export const Minute = 60n * Second;
export const Hour = 60n * Minute;

const UNITS: Record<string, bigint> = {
  ns: Nanosecond,
  us: Microsecond,
  "\u00b5s": Microsecond, // µ (micro sign)
  "\u03bcs": Microsecond, // μ (Greek mu)
  ms: Millisecond,
  s: Second,
  m: Minute,
  h: Hour,
};

const MAX = (1n << 63n) - 1n;

/** Parses like Go's time.ParseDuration; throws Error with Go's wording on bad input. */
export function parseDuration(input: string): Duration {
  const orig = input;
  let s = input;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw new Error(`time: invalid duration "${orig}"`);
  let total = 0n;
  while (s !== "") {
    // The integer part, then an optional fraction.
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s)!;
    const intPart = m[1] ?? "";
    const fracPart = m[2];
    if (intPart === "" && (fracPart === undefined || fracPart === "")) {
      throw new Error(`time: invalid duration "${orig}"`);
    }
    s = s.slice(m[0].length);
    const u = /^[^0-9.]+/.exec(s);
    if (!u) throw new Error(`time: missing unit in duration "${orig}"`);
    const unitName = u[0];
    const unit = UNITS[unitName];
    if (unit === undefined) throw new Error(`time: unknown unit "${unitName}" in duration "${orig}"`);
    s = s.slice(unitName.length);
    let v = BigInt(intPart === "" ? "0" : intPart) * unit;
    if (fracPart) {
      // Exact: fraction digits scaled by the unit, truncated like Go.
      const scale = 10n ** BigInt(fracPart.length);
      v += (BigInt(fracPart) * unit) / scale;
    }
    total += v;
    if (total > MAX) throw new Error(`time: invalid duration "${orig}"`);
  }
  return neg ? -total : total;
}

/** Formats like Go's Duration.String(): "0s", "1.5s", "5m0s", "24h0m0s", "997.55µs". */
export function formatDuration(d: Duration): string {
  if (d === 0n) return "0s";
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < Second) {
    let unit: string;
    let div: bigint;
    if (u < Microsecond) return (neg ? "-" : "") + `${u}ns`;
    if (u < Millisecond) {
      unit = "\u00b5s";
      div = Microsecond;
    } else {
      unit = "ms";
      div = Millisecond;
    }
    out = fraction(u, div) + unit;
  } else {
    const h = u / Hour;
    u -= h * Hour;
    const m = u / Minute;
    u -= m * Minute;
    const secs = fraction(u, Second) + "s";
    out = (h > 0n ? `${h}h${m}m` : m > 0n ? `${m}m` : "") + secs;
  }
  return (neg ? "-" : "") + out;
}

/** "int.frac" with trailing zeros of the fraction removed, as Go prints. */
function fraction(v: bigint, div: bigint): string {
  const whole = v / div;
  const rest = v % div;
  if (rest === 0n) return `${whole}`;
  const width = div.toString().length - 1;
  const frac = rest.toString().padStart(width, "0").replace(/0+$/, "");
  return `${whole}.${frac}`;
}

export function durationFromMs(ms: number): Duration {
  return BigInt(Math.round(ms * 1e6));
}

export function durationToMs(d: Duration): number {
  return Number(d / Millisecond) + Number(d % Millisecond) / 1e6;
}
