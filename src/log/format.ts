/**
 * Log line formats: logrus's TextFormatter (what RKE and operators read today) and its
 * JSONFormatter (an addition). Both take an already stringified, already redacted record.
 */
import { formatRfc3339 as rfc3339 } from "../time/rfc3339.ts";

export type Level = "trace" | "debug" | "info" | "warning" | "error" | "fatal";

export interface LogRecord {
  time: Date;
  level: Level;
  msg: string;
  /** Field values as text, keys unsorted. */
  fields: Record<string, string>;
}

/** logrus TextFormatter.needsQuoting. */
function needsQuoting(s: string): boolean {
  return !/^[A-Za-z0-9\-._/@^+]*$/.test(s);
}

/** Go's strconv.Quote, which logrus uses through %q. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case "\\":
        out += "\\\\";
        continue;
      case "\x07":
        out += "\\a";
        continue;
      case "\b":
        out += "\\b";
        continue;
      case "\f":
        out += "\\f";
        continue;
      case "\n":
        out += "\\n";
        continue;
      case "\r":
        out += "\\r";
        continue;
      case "\t":
        out += "\\t";
        continue;
      case "\v":
        out += "\\v";
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += "\\x" + cp.toString(16).padStart(2, "0");
    else if (cp !== 0x20 && /[\p{C}\p{Z}]/u.test(ch)) {
      out += cp > 0xffff ? "\\U" + cp.toString(16).padStart(8, "0") : "\\u" + cp.toString(16).padStart(4, "0");
    } else out += ch;
  }
  return out + '"';
}

function textValue(s: string): string {
  return needsQuoting(s) ? goQuote(s) : s;
}

const RESERVED = new Set(["time", "level", "msg"]);

function withoutClashes(fields: Record<string, string>): [string, string][] {
  // logrus renames user fields that clash with its own keys to "fields.<key>".
  return Object.entries(fields)
    .map(([k, v]) => [RESERVED.has(k) ? `fields.${k}` : k, v] as [string, string])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function formatText(r: LogRecord): string {
  let line = `time=${textValue(rfc3339(r.time))} level=${r.level} msg=${textValue(r.msg.replace(/\n$/, ""))}`;
  for (const [k, v] of withoutClashes(r.fields)) line += ` ${k}=${textValue(v)}`;
  return line + "\n";
}

export function formatJson(r: LogRecord): string {
  const entries: [string, string][] = [...withoutClashes(r.fields), ["level", r.level], ["msg", r.msg], ["time", rfc3339(r.time)]];
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(entries)) + "\n";
}
