import { describe, expect, test } from "bun:test";
import { GoDuration, Logger } from "../../src/log/logger.ts";
import { goQuote } from "../../src/log/format.ts";

function capture(level: "info" | "debug" = "info", format: "text" | "json" = "text") {
  const lines: string[] = [];
  const log = Logger.create({ level, format, sink: (l) => lines.push(l), now: () => new Date("2026-11-21T04:40:01.123Z") });
  return { log, lines };
}

describe("logrus text format", () => {
  // Lines copied from the original's logs (docs/contract.md §o-12b, §o-appendix-a).
  test("byte for byte against the original's lines", () => {
    const { log, lines } = capture();
    log.info("Initializing Onetime Backup", { name: "snap1" });
    log.info("Created local backup", { name: "snap1", runtime: new GoDuration(26_354_650n) });
    log.info("Initializing Rolling Backups", { retention: new GoDuration(12_000_000_000n), creation: new GoDuration(5_000_000_000n) });
    log.info("Deleted local backup", { name: "2000-01-01T00:00:00Z_etcd", runtime: new GoDuration(948_488n) });
    log.warn("Couldn't parse backup", {
      name: "notabackup.zip",
      error: new Error('parsing time "notabackup.zip" as "2006-01-02T15:04:05Z07:00": cannot parse "notabackup.zip" as "2006"'),
    });
    log.info("Deleted local backup", { name: "/backup/d1.zip", runtime: new GoDuration(1_229_570n) });
    log.info("Successfully download snap1 from 127.0.0.1 ");
    expect(lines).toEqual([
      'time="2026-11-21T04:40:01Z" level=info msg="Initializing Onetime Backup" name=snap1\n',
      'time="2026-11-21T04:40:01Z" level=info msg="Created local backup" name=snap1 runtime=26.35465ms\n',
      'time="2026-11-21T04:40:01Z" level=info msg="Initializing Rolling Backups" creation=5s retention=12s\n',
      'time="2026-11-21T04:40:01Z" level=info msg="Deleted local backup" name="2000-01-01T00:00:00Z_etcd" runtime="948.488µs"\n',
      'time="2026-11-21T04:40:01Z" level=warning msg="Couldn\'t parse backup" error="parsing time \\"notabackup.zip\\" as \\"2006-01-02T15:04:05Z07:00\\": cannot parse \\"notabackup.zip\\" as \\"2006\\"" name=notabackup.zip\n',
      'time="2026-11-21T04:40:01Z" level=info msg="Deleted local backup" name=/backup/d1.zip runtime=1.22957ms\n',
      'time="2026-11-21T04:40:01Z" level=info msg="Successfully download snap1 from 127.0.0.1 "\n',
    ]);
  });

  test("unquoted message when it has only safe characters; empty values print bare", () => {
    const { log, lines } = capture();
    log.info("ok", { a: "", b: "x@y^z+1" });
    expect(lines[0]).toBe('time="2026-11-21T04:40:01Z" level=info msg=ok a= b=x@y^z+1\n');
  });

  test("newlines and control characters are escaped as Go's %q does", () => {
    expect(goQuote('a\n"b"\\\t\x01')).toBe('"a\\n\\"b\\"\\\\\\t\\x01"');
    expect(goQuote("µs")).toBe('"µs"');
  });

  test("debug lines only at debug level; fields clashing with time/level/msg are renamed", () => {
    const { log, lines } = capture();
    log.debug("hidden");
    log.setLevel("debug");
    log.debug("shown", { msg: "x" });
    expect(lines).toEqual(['time="2026-11-21T04:40:01Z" level=debug msg=shown fields.msg=x\n']);
  });

  test("json format sorts keys", () => {
    const { log, lines } = capture("info", "json");
    log.info("Created local backup", { name: "snap1", runtime: new GoDuration(1_000_000n) });
    expect(lines[0]).toBe('{"level":"info","msg":"Created local backup","name":"snap1","runtime":"1ms","time":"2026-11-21T04:40:01Z"}\n');
  });
});
