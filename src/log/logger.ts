/**
 * The logger every tool and library uses. Libraries take it as an option and default to
 * `silentLogger`; only the CLI shell creates one that writes to stderr.
 */
import { writeSync } from "node:fs";
import { durationFromMs, formatDuration, type Duration } from "../time/duration.ts";
import { formatJson, formatText, type Level, type LogRecord } from "./format.ts";
import { REDACTED, Redactor } from "./redact.ts";

export type { Level } from "./format.ts";
export type Fields = Record<string, unknown>;
export type LogFormat = "text" | "json";

const ORDER: Record<Level, number> = { trace: 0, debug: 1, info: 2, warning: 3, error: 4, fatal: 5 };

/** A field value printed as a Go duration (`runtime=23.789377ms`). */
export class GoDuration {
  constructor(readonly ns: Duration) {}
  toString(): string {
    return formatDuration(this.ns);
  }
  /** A span measured in (fractional) milliseconds, as performance.now() gives them. */
  static ofMs(ms: number): GoDuration {
    return new GoDuration(durationFromMs(ms));
  }
  static sinceMs(startMs: number, nowMs = performance.now()): GoDuration {
    return GoDuration.ofMs(nowMs - startMs);
  }
}

export interface LoggerOptions {
  level?: Level;
  format?: LogFormat;
  /** Receives each finished line. Defaults to a synchronous write to fd 2. */
  sink?: (line: string) => void;
  now?: () => Date;
  redactor?: Redactor;
}

const stderrSink = (line: string) => {
  try {
    writeSync(2, line);
  } catch {
    // stderr closed (EPIPE) or full: the line is lost, the work goes on (a serve transfer was reset
    // at its end when its "Served" line threw).
  }
};

function stringify(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "string") return v;
  if (v instanceof Error) return v.message;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return `[${v.map(stringify).join(" ")}]`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object" && v.toString !== Object.prototype.toString) return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

interface Shared {
  level: Level;
  format: LogFormat;
  sink: (line: string) => void;
  now: () => Date;
  redactor: Redactor;
}

export class Logger {
  private constructor(
    private readonly shared: Shared,
    private readonly base: Fields,
  ) {}

  static create(opts: LoggerOptions = {}): Logger {
    return new Logger(
      {
        level: opts.level ?? "info",
        format: opts.format ?? "text",
        sink: opts.sink ?? stderrSink,
        now: opts.now ?? (() => new Date()),
        redactor: opts.redactor ?? new Redactor(),
      },
      {},
    );
  }

  /** A logger that adds `fields` to every line; level, format and secrets are shared. */
  with(fields: Fields): Logger {
    return new Logger(this.shared, { ...this.base, ...fields });
  }

  get level(): Level {
    return this.shared.level;
  }
  setLevel(level: Level): void {
    this.shared.level = level;
  }
  setFormat(format: LogFormat): void {
    this.shared.format = format;
  }
  /** Values that must never appear in a line (see redact.ts). */
  addSecret(...values: (string | undefined)[]): void {
    this.shared.redactor.add(...values);
  }
  enabled(level: Level): boolean {
    return ORDER[level] >= ORDER[this.shared.level];
  }

  trace(msg: string, fields?: Fields): void {
    this.log("trace", msg, fields);
  }
  debug(msg: string, fields?: Fields): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: Fields): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: Fields): void {
    this.log("warning", msg, fields);
  }
  error(msg: string, fields?: Fields): void {
    this.log("error", msg, fields);
  }
  /** Writes a fatal line. Exiting is the CLI shell's job, never the logger's. */
  fatal(msg: string, fields?: Fields): void {
    this.log("fatal", msg, fields);
  }

  log(level: Level, msg: string, fields?: Fields): void {
    if (!this.enabled(level)) return;
    const r = this.shared.redactor;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...this.base, ...fields })) {
      out[k] = r.isSecretField(k) && v !== "" && v !== undefined ? REDACTED : r.text(stringify(v));
    }
    const record: LogRecord = { time: this.shared.now(), level, msg: r.text(msg), fields: out };
    this.shared.sink(this.shared.format === "json" ? formatJson(record) : formatText(record));
  }
}

/** For library defaults: drops everything. */
export const silentLogger = Logger.create({ level: "fatal", sink: () => {} });
