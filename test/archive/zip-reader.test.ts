import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, isRkeToolsError } from "../../src/errors.ts";
import { ZipReader } from "../../src/archive/zip-reader.ts";
import { extractEntryToFile } from "../../src/archive/zip-reader-extract.ts";
import { ZipWriter } from "../../src/archive/zip-writer.ts";
import { open } from "node:fs/promises";
import { describeWith, hasCommand } from "../support/components.ts";
import { goEpochDosDateTime, writeGoZip, zerosDeflated } from "../support/go-zip.ts";

let dir: string;
// A snapshot-like payload: half random, half repetitive, so that deflate has work to do.
const snap = Buffer.concat([randomBytes(150_000), Buffer.alloc(150_000, "etcd")]);
const state = Buffer.from('{"desiredState":{},"currentState":{}}\n');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rke-zip-reader-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const p = (name: string) => join(dir, name);

async function expectArchiveError(promise: Promise<unknown>, code: string, text: RegExp) {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isRkeToolsError(e)).toBe(true);
  expect((e as { code: string }).code).toBe(code);
  expect((e as Error).message).toMatch(text);
}

function noTempsLeft() {
  expect(readdirSync(dir).filter((n) => n.includes(".rke-tmp-"))).toEqual([]);
}

describe("the original's Go layout", () => {
  test("DOS date of the epoch wraps as Go computes it", () => {
    expect(goEpochDosDateTime(0)).toEqual({ date: 0xec21, time: 0 });
    expect(goEpochDosDateTime(330).time).toBe((5 << 11) | (30 << 5));
    expect(goEpochDosDateTime(-300).date).toBe((31 + (12 << 5) - (11 << 9)) & 0xffff);
  });

  test("the first bytes are those of Appendix A", async () => {
    await writeGoZip(p("layout.zip"), [{ name: "/backup/snap1", data: snap }]);
    const head = readFileSync(p("layout.zip")).subarray(0, 52);
    expect(head.subarray(0, 30).toString("hex")).toBe("504b0304" + "1400" + "0800" + "0800" + "0000" + "21ec" + "00".repeat(12) + "0d00" + "0900");
    expect(head.subarray(30, 43).toString()).toBe("/backup/snap1");
    expect(head.subarray(43, 52).toString("hex")).toBe("555405000100000000");
  });

  for (const [label, opts] of [
    ["UTC", {}],
    ["Asia/Kolkata", { tzOffsetMinutes: 330 }],
    ["America/New_York", { tzOffsetMinutes: -300 }],
    ["ZIP64 layout", { zip64: true }],
  ] as const) {
    test(`entries by exact absolute name, ${label}`, async () => {
      const zip = p(`go-${label.replace(/\W/g, "")}.zip`);
      await writeGoZip(
        zip,
        [
          { name: "/backup/snap1", data: snap },
          { name: "/etc/kubernetes/snap1.rkestate", data: state, mode: 0o100644 },
        ],
        opts,
      );
      const r = await ZipReader.open(zip);
      try {
        expect(r.entries.map((e) => [e.name, e.uncompressedSize, e.mode])).toEqual([
          ["/backup/snap1", snap.length, 0o600],
          ["/etc/kubernetes/snap1.rkestate", state.length, 0o644],
        ]);
      } finally {
        r.close();
      }
      const out = await extractEntryToFile(zip, "/backup/snap1", p("snap1"));
      expect(out).toMatchObject({ bytes: snap.length, exact: true });
      expect(readFileSync(p("snap1")).equals(snap)).toBe(true);
      expect(statSync(p("snap1")).mode & 0o777).toBe(0o600);
      await extractEntryToFile(zip, "/etc/kubernetes/snap1.rkestate", p("cluster.rkestate"));
      expect(readFileSync(p("cluster.rkestate")).equals(state)).toBe(true);
    });
  }

  test("a missing entry gives the original's text", async () => {
    await writeGoZip(p("two.zip"), [
      { name: "/backup/a", data: snap },
      { name: "/backup/b", data: snap },
    ]);
    await expectArchiveError(extractEntryToFile(p("two.zip"), "/backup/c", p("c")), ErrorCode.Archive, /^File \[\/backup\/c\] not found in file \[.*two\.zip\]$/);
    noTempsLeft();
  });
});

describe("look-up by name", () => {
  test("a name is taken as is, or without its leading slash; never another entry (that is the snapshot layer's rule)", async () => {
    await writeGoZip(p("renamed.zip"), [
      { name: "/backup/old", data: snap },
      { name: "/etc/kubernetes/old.rkestate", data: state },
    ]);
    await expectArchiveError(extractEntryToFile(p("renamed.zip"), "/backup/new", p("new2")), ErrorCode.Archive, /not found/);
  });
});

describe("archives written by our own save (src/archive/zip-writer.ts)", () => {
  test("both entries by their exact absolute names", async () => {
    const zip = p("ours.zip");
    const fh = await open(zip, "w", 0o600);
    try {
      const w = new ZipWriter({ write: async (c) => void (await fh.write(c)) });
      await w.add("/backup/ours", 0o600, snap);
      await w.add("/etc/kubernetes/ours.rkestate", 0o644, state);
      await w.finish();
    } finally {
      await fh.close();
    }
    expect(await extractEntryToFile(zip, "/backup/ours", p("ours"))).toMatchObject({ exact: true, bytes: snap.length });
    expect(readFileSync(p("ours")).equals(snap)).toBe(true);
    await extractEntryToFile(zip, "/etc/kubernetes/ours.rkestate", p("ours.rkestate"));
    expect(readFileSync(p("ours.rkestate")).equals(state)).toBe(true);
  });
});

describeWith([hasCommand("python3", "apt-get install python3")], "archives from other writers", () => {
  test("relative names and stored entries (Python's zipfile)", async () => {
    const zip = p("py.zip");
    writeFileSync(p("payload"), snap);
    execFileSync("python3", [
      "-c",
      `import zipfile,sys
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.write(sys.argv[2], "backup/snap1", compress_type=zipfile.ZIP_STORED)
    z.write(sys.argv[2], "etc/kubernetes/snap1.rkestate", compress_type=zipfile.ZIP_DEFLATED)`,
      zip,
      p("payload"),
    ]);
    const r = await extractEntryToFile(zip, "/backup/snap1", p("py-snap1"));
    expect(r).toMatchObject({ exact: false, bytes: snap.length });
    expect(r.entry.method).toBe(0);
    expect(readFileSync(p("py-snap1")).equals(snap)).toBe(true);
    await extractEntryToFile(zip, "/etc/kubernetes/snap1.rkestate", p("py-state"));
    expect(readFileSync(p("py-state")).equals(snap)).toBe(true);
  });

  test("what go-zip.ts writes is a valid zip for Python, ZIP64 included", async () => {
    for (const zip of [p("go-UTC.zip"), p("go-ZIP64layout.zip")]) {
      const out = execFileSync("python3", [
        "-c",
        `import zipfile,sys,hashlib
z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
print(hashlib.sha256(z.read("/backup/snap1")).hexdigest())`,
        zip,
      ])
        .toString()
        .trim();
      expect(out).toBe(new Bun.CryptoHasher("sha256").update(snap).digest("hex"));
    }
  });
});

describe("damaged archives", () => {
  test("a missing archive is E_NOT_FOUND", async () => {
    await expectArchiveError(extractEntryToFile(p("nope.zip"), "/backup/x", p("x")), ErrorCode.NotFound, /no such file or directory/);
  });

  test("a truncated archive is not a valid zip", async () => {
    await writeGoZip(p("trunc.zip"), [{ name: "/backup/snap1", data: snap }]);
    truncateSync(p("trunc.zip"), Math.floor(statSync(p("trunc.zip")).size / 2));
    await expectArchiveError(extractEntryToFile(p("trunc.zip"), "/backup/snap1", p("t1")), ErrorCode.Archive, /^zip: not a valid zip file/);
  });

  test("garbage is not a valid zip", async () => {
    writeFileSync(p("garbage.zip"), randomBytes(5000));
    await expectArchiveError(extractEntryToFile(p("garbage.zip"), "/backup/snap1", p("g1")), ErrorCode.Archive, /^zip: not a valid zip file/);
    writeFileSync(p("empty.zip"), "");
    await expectArchiveError(extractEntryToFile(p("empty.zip"), "/backup/snap1", p("g2")), ErrorCode.Archive, /^zip: not a valid zip file/);
  });

  test("corrupted data is refused and the previous file stays", async () => {
    await writeGoZip(p("corrupt.zip"), [{ name: "/backup/snap1", data: snap }]);
    const b = readFileSync(p("corrupt.zip"));
    for (let i = 2000; i < 2100; i++) b[i] = b[i]! ^ 0x5a;
    writeFileSync(p("corrupt.zip"), b);
    writeFileSync(p("keep"), "previous");
    await expectArchiveError(extractEntryToFile(p("corrupt.zip"), "/backup/snap1", p("keep")), ErrorCode.Archive, /zip: entry \/backup\/snap1 .*(corrupt|CRC|truncated|beyond)/);
    expect(readFileSync(p("keep"), "utf8")).toBe("previous");
    noTempsLeft();
  });

  test("a CRC that does not match is refused", async () => {
    await writeGoZip(p("crc.zip"), [{ name: "/backup/snap1", data: snap, declare: { crc: 0x12345678 } }]);
    await expectArchiveError(extractEntryToFile(p("crc.zip"), "/backup/snap1", p("crc")), ErrorCode.Archive, /checksum error/);
    noTempsLeft();
  });

  test("data cut short of its declared size is refused", async () => {
    await writeGoZip(p("short.zip"), [{ name: "/backup/snap1", data: snap, declare: { uncompressedSize: snap.length + 10 } }]);
    await expectArchiveError(extractEntryToFile(p("short.zip"), "/backup/snap1", p("short")), ErrorCode.Archive, /truncated/);
    noTempsLeft();
  });
});

describe("what no snapshot archive holds (issue 19, item 11)", () => {
  const TOO_MANY = "a snapshot archive holds the snapshot and at most the state file";

  test("a third file is refused by every use of the reader", async () => {
    await writeGoZip(p("three.zip"), [
      { name: "/backup/snap1", data: snap },
      { name: "/etc/kubernetes/snap1.rkestate", data: state },
      { name: "/backup/x", data: state },
    ]);
    await expectArchiveError(ZipReader.open(p("three.zip")), ErrorCode.Archive, new RegExp(`^Cannot read archive .*three\\.zip: it holds more than 2 files; ${TOO_MANY}$`));
    await expectArchiveError(extractEntryToFile(p("three.zip"), "/backup/snap1", p("three-out")), ErrorCode.Archive, /more than 2 files/);
    noTempsLeft();
  });

  test("2,000 entries: refused by the end record's count before the directory is walked", async () => {
    const many = Array.from({ length: 2_000 }, (_, i) => ({ name: `/backup/d${i}/`, data: new Uint8Array(0) }));
    await writeGoZip(p("many.zip"), many);
    await expectArchiveError(ZipReader.open(p("many.zip")), ErrorCode.Archive, new RegExp(`: it holds 2000 entries; ${TOO_MANY}$`));
  });

  test("two entries of one name: refused, whichever spelling (issue 19, item 12)", async () => {
    await writeGoZip(p("dup.zip"), [
      { name: "/backup/snap1", data: snap },
      { name: "/backup/snap1", data: state },
    ]);
    await expectArchiveError(ZipReader.open(p("dup.zip")), ErrorCode.Archive, /: it holds two entries named backup\/snap1$/);
    await writeGoZip(p("dup2.zip"), [
      { name: "/etc/kubernetes/snap1.rkestate", data: state },
      { name: "etc/kubernetes/snap1.rkestate", data: state },
    ]);
    await expectArchiveError(
      extractEntryToFile(p("dup2.zip"), "/etc/kubernetes/snap1.rkestate", p("dup2-out")),
      ErrorCode.Archive,
      /two entries named etc\/kubernetes\/snap1\.rkestate/,
    );
    noTempsLeft();
  });

  test("folder entries as `zip -r` adds them are read", async () => {
    await writeGoZip(p("folders.zip"), [
      ...["backup/", "etc/", "etc/kubernetes/"].map((name) => ({ name, data: new Uint8Array(0) })),
      { name: "backup/snap1", data: snap },
      { name: "etc/kubernetes/snap1.rkestate", data: state },
    ]);
    const r = await extractEntryToFile(p("folders.zip"), "/backup/snap1", p("folders-out"));
    expect(r.bytes).toBe(snap.length);
  });
});

describe("zip bombs and absurd sizes", () => {
  test("an entry inflating beyond its declared size stops there", async () => {
    const bomb = zerosDeflated(64 << 20); // 64 MiB of zeros in ~64 KiB
    await writeGoZip(p("bomb.zip"), [{ name: "/backup/snap1", rawDeflate: bomb, declare: { crc: 0, uncompressedSize: 1000 } }]);
    await expectArchiveError(extractEntryToFile(p("bomb.zip"), "/backup/snap1", p("bomb")), ErrorCode.Archive, /inflates beyond its declared 1000 bytes/);
    noTempsLeft();
  });

  test("a declared ratio beyond deflate's is refused before writing", async () => {
    const bomb = zerosDeflated(64 << 20);
    await writeGoZip(p("ratio.zip"), [{ name: "/backup/snap1", rawDeflate: bomb, declare: { crc: 0, uncompressedSize: bomb.length * 5000 } }]);
    await expectArchiveError(extractEntryToFile(p("ratio.zip"), "/backup/snap1", p("ratio")), ErrorCode.Archive, /compression ratio .* beyond what deflate can produce/);
    noTempsLeft();
  });

  test("an absurd declared size (ZIP64, 1 TiB) is refused before writing", async () => {
    await writeGoZip(p("huge.zip"), [{ name: "/backup/snap1", data: snap, declare: { uncompressedSize: 2 ** 40 } }]);
    await expectArchiveError(extractEntryToFile(p("huge.zip"), "/backup/snap1", p("huge")), ErrorCode.Archive, /declares 1099511627776 bytes, more than/);
    await expectArchiveError(extractEntryToFile(p("go-UTC.zip"), "/etc/kubernetes/snap1.rkestate", p("small"), { maxBytes: 4 }), ErrorCode.Archive, /more than the 4 accepted/);
    noTempsLeft();
  });
});
