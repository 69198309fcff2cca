/** Parsers for environment knobs (knob.ts): each throws an Error saying what is wrong. */
import { durationToMs, parseDuration } from "../time/duration.ts";

export const text = (raw: string): string => raw;

/** A TCP port; `min` 0 lets a listener take any free port. */
export function port(min: 0 | 1): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > 65535) throw new Error(`not a port number (${min}–65535)`);
    return n;
  };
}

/** A comma-separated list; empty items are dropped. */
export const list = (raw: string): string[] =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

/** An http(s) URL, without trailing slashes. */
export function url(raw: string): string {
  if (!/^https?:\/\/[^/]/.test(raw)) throw new Error("not an http:// or https:// URL");
  return raw.replace(/\/+$/, "");
}

/** An absolute path, without trailing slashes ("/" stays "/"). */
export function absolutePath(raw: string): string {
  if (!raw.startsWith("/")) throw new Error("not an absolute path");
  return raw.replace(/(.)\/+$/, "$1");
}

/** A Go duration (`10s`, `1h30m`), in milliseconds; never negative. */
export function goDurationMs(raw: string): number {
  const ms = durationToMs(parseDuration(raw));
  if (ms < 0) throw new Error("must not be negative");
  return ms;
}

/** nginx's `listen` argument: `<port>`, `<ipv4>:<port>` or `[<ipv6>]:<port>`. */
export function listenAddress(raw: string): string {
  if (!/^(\d+|[0-9.]+:\d+|\[[0-9a-fA-F:.]+\]:\d+)$/.test(raw)) throw new Error("not a port or address:port");
  return raw;
}

export function oneOf<const T extends string>(values: readonly T[]): (raw: string) => T {
  return (raw) => {
    if ((values as readonly string[]).includes(raw)) return raw as T;
    throw new Error(`must be one of ${values.join(", ")}`);
  };
}
