import { describe, expect, test } from "bun:test";
import { Minute, Hour } from "../../src/time/duration.ts";
import { boolFlag, durationFlag, intFlag, stringFlag } from "../../src/cli/flag.ts";
import { parseGoFlags } from "../../src/cli/go-flags.ts";
import { ErrorCode, isRkeToolsError } from "../../src/errors.ts";

const flags = [
  stringFlag("name", "n"),
  stringFlag("endpoints", "e", { default: "127.0.0.1:2379" }),
  stringFlag("cacert", "c", { env: "ETCD_CACERT" }),
  boolFlag("s3-backup", "s", { env: "S3_BACKUP" }),
  boolFlag("once", "o"),
  durationFlag("creation", "c", 5n * Minute),
  intFlag("backup-retries", "r", 0),
] as const;

const parse = (argv: string[], env: Record<string, string> = {}) => parseGoFlags(argv, flags, env);

describe("Go flag grammar", () => {
  test.each([["-name", "x"], ["--name", "x"], ["-name=x"], ["--name=x"]])("accepts %p", (...argv) => {
    expect(parse(argv.filter(Boolean) as string[]).values.name).toBe("x");
  });

  test("booleans: bare, =true, =false, Go's ParseBool spellings", () => {
    expect(parse(["--s3-backup"]).values["s3-backup"]).toBe(true);
    expect(parse(["--s3-backup=true"]).values["s3-backup"]).toBe(true);
    expect(parse(["-s3-backup=false"]).values["s3-backup"]).toBe(false);
    expect(parse(["--s3-backup=T"]).values["s3-backup"]).toBe(true);
    expect(parse(["--s3-backup=0"]).values["s3-backup"]).toBe(false);
    // A bool never consumes the next argument: "false" here is the first positional.
    const p = parse(["--s3-backup", "false"]);
    expect(p.values["s3-backup"]).toBe(true);
    expect(p.args).toEqual(["false"]);
  });

  test("a value flag takes the next argument even when it starts with '-'", () => {
    expect(parse(["--name", "-weird"]).values.name).toBe("-weird");
  });

  test("durations and ints", () => {
    const p = parse(["--creation=12h", "--backup-retries", "3"]);
    expect(p.values.creation).toBe(12n * Hour);
    expect(p.values["backup-retries"]).toBe(3);
  });

  test("parsing stops at the first positional argument, as the original did", () => {
    const p = parse(["--once", "foo", "--name", "x"]);
    expect(p.values.once).toBe(true);
    expect(p.values.name).toBe("");
    expect(p.args).toEqual(["foo", "--name", "x"]);
  });

  test("'--' ends the flags; the last repetition wins", () => {
    const p = parse(["--name=a", "--name", "b", "--", "--once"]);
    expect(p.values.name).toBe("b");
    expect(p.values.once).toBe(false);
    expect(p.args).toEqual(["--once"]);
  });

  test("env fallbacks: flag beats env beats default", () => {
    expect(parse([], { ETCD_CACERT: "/env.pem" }).values.cacert).toBe("/env.pem");
    expect(parse(["--cacert=/flag.pem"], { ETCD_CACERT: "/env.pem" }).values.cacert).toBe("/flag.pem");
    expect(parse([]).values.endpoints).toBe("127.0.0.1:2379");
    expect(parse([], { S3_BACKUP: "true" }).values["s3-backup"]).toBe(true);
    expect(parse(["--s3-backup=false"], { S3_BACKUP: "true" }).values["s3-backup"]).toBe(false);
    expect(parse([], { S3_BACKUP: "" }).values["s3-backup"]).toBe(false);
    expect(parse([]).set.has("cacert")).toBe(false);
    expect(parse(["--cacert", "x"]).set.has("cacert")).toBe(true);
  });

  test("a bad bool in env is an error naming the flag", () => {
    expect(() => parse([], { S3_BACKUP: "yes" })).toThrow(/could not parse yes as bool value for flag s3-backup/);
  });

  test("durations and ints from env: urfave's wording when bad, the default when empty", () => {
    const fromEnv = [durationFlag("every", "e", 5n * Minute, { env: "EVERY" }), intFlag("tries", "t", 2, { env: "TRIES" })] as const;
    const env = (e: Record<string, string>) => parseGoFlags([], fromEnv, e);
    expect(env({ EVERY: "1h", TRIES: "7" }).values).toEqual({ every: Hour, tries: 7 });
    expect(env({ EVERY: "", TRIES: "" }).values).toEqual({ every: 5n * Minute, tries: 2 });
    expect(() => env({ EVERY: "5" })).toThrow("could not parse 5 as duration for flag every: ");
    expect(() => env({ TRIES: "x" })).toThrow('could not parse x as int value for flag tries: strconv.ParseInt: parsing "x": invalid syntax');
  });

  test.each([
    [["--bogus"], "flag provided but not defined: -bogus"],
    [["--name"], "flag needs an argument: -name"],
    [["--creation", "5"], 'invalid value "5" for flag -creation: parse error'],
    [["--backup-retries=x"], 'invalid value "x" for flag -backup-retries: parse error'],
    [["--once=maybe"], 'invalid boolean value "maybe" for -once: parse error'],
    [["---name"], "bad flag syntax: ---name"],
    [["-=x"], "bad flag syntax: -=…"],
    // Issue 19.21: Go echoes the whole argument; a secret meant for a misspelled flag must not come back.
    [["---s3-secretKey=SUPERSECRET"], "bad flag syntax: ---s3-secretKey=…"],
  ])("usage error for %p", (argv, message) => {
    try {
      parse(argv);
      throw new Error("accepted");
    } catch (e) {
      expect(isRkeToolsError(e, ErrorCode.Usage)).toBe(true);
      expect((e as Error).message).toBe(message);
    }
  });

  test("-h, -help and --help ask for help", () => {
    expect(parse(["-h"]).help).toBe(true);
    expect(parse(["--help"]).help).toBe(true);
    expect(parse(["-help"]).help).toBe(true);
  });
});
