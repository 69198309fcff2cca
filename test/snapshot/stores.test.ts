/**
 * One suite, every store (restic's backend test suite): the same list / stat / fetch / remove /
 * put expectations run against the backup folder on a temporary directory and against a bucket
 * (with a folder) on the real S3 gateway, a fresh one per test. A third store is one more entry
 * in STORES. The commands' own tests (test/etcd-backup/) keep checking what RKE sees.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ARCHIVE_FORMATS, type ArchiveFormat } from "../../src/archive/format.ts";
import { archiveFileName } from "../../src/snapshot/layout.ts";
import { localStore } from "../../src/snapshot/stores/local.ts";
import { s3Store } from "../../src/snapshot/stores/s3.ts";
import type { SnapshotStore } from "../../src/snapshot/stores/store.ts";
import { s3ConfigFromFlags } from "../../src/tools/etcd-backup/s3-flags.ts";
import { makeBoltSnapshot } from "../support/bbolt.ts";
import { describeWith, type Component } from "../support/components.ts";
import { writeGoZip } from "../support/go-zip.ts";
import { makeSnapshotTar } from "../support/snapshot-tar.ts";
import { captureLog, createBucket, gatewayFlags, putObject, removeBucket, s3Gateway } from "../support/s3.ts";

/** A store under test, fresh for each test, and what only the test may do to it. */
interface Harness {
  store: SnapshotStore;
  /** Places a raw (uncompressed) snapshot file as a legacy copy: no store writes one through put. */
  seedRaw(name: string, file: string): void;
  dispose(): void;
}

interface StoreKind {
  label: string;
  needs: Component[];
  /** Whether the store keeps an archive's SHA-256 beside it (S3 object metadata). */
  keepsDigest: boolean;
  open(scratch: string): Promise<Harness>;
}

const FOLDER = "rke/etcd";

const STORES: StoreKind[] = [
  {
    label: "the backup folder",
    needs: [],
    keepsDigest: false,
    async open(scratch) {
      const dir = mkdtempSync(join(scratch, "backup-"));
      return {
        store: localStore(dir),
        seedRaw: (name, file) => copyFileSync(file, join(dir, name)),
        dispose: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    label: "an S3 bucket",
    needs: [s3Gateway],
    keepsDigest: true,
    async open(scratch) {
      const bucket = createBucket();
      const { log } = captureLog();
      // From its config, as the commands build it: connected on first use.
      const config = s3ConfigFromFlags(gatewayFlags(bucket, { "s3-folder": FOLDER }), {}, { log });
      return {
        store: s3Store({ config }, { log, tmpDir: scratch }),
        seedRaw: (name, file) => putObject(bucket, `${FOLDER}/${name}`, file),
        dispose: () => removeBucket(bucket),
      };
    },
  },
];

const STATE = Buffer.from('{"desiredState":{},"currentState":{}}');
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** A snapshot archive of `name` in `format` (state file included unless told), under `dir`. */
async function makeArchive(dir: string, name: string, format: ArchiveFormat, opts: { state?: boolean | Uint8Array } = {}): Promise<string> {
  const path = join(dir, `${Math.random().toString(36).slice(2)}-${archiveFileName(name, format)}`);
  const data = makeBoltSnapshot(20_000);
  const state = opts.state === false ? undefined : opts.state === true || opts.state === undefined ? STATE : opts.state;
  if (format === "zip") {
    await writeGoZip(path, [{ name: `/backup/${name}`, data }, ...(state ? [{ name: `/etc/kubernetes/${name}.rkestate`, data: state, mode: 0o100400 }] : [])]);
    return path;
  }
  return makeSnapshotTar(path, format, name, data, state);
}

for (const kind of STORES) {
  describeWith(kind.needs, `snapshot store: ${kind.label}`, () => {
    const scratch = mkdtempSync(join(tmpdir(), "stores-"));
    const src = join(scratch, "src");
    let h: Harness;
    beforeAll(() => mkdirSync(src));
    beforeEach(async () => {
      h = await kind.open(scratch);
    });
    afterEach(() => h.dispose());
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    test("an empty store lists nothing and finds nothing, and says where it looked", async () => {
      expect(await h.store.list()).toEqual([]);
      expect(await h.store.stat("snap")).toEqual([]);
      expect(h.store.absent("snap")).toContain("snap.zip");
    });

    test("put in every format: list, stat and fetch give the same archives back", async () => {
      const files = new Map<ArchiveFormat, string>();
      for (const format of ARCHIVE_FORMATS) {
        const file = await makeArchive(src, "snap", format);
        files.set(format, file);
        await h.store.put(file, "snap", format);
      }
      const records = await h.store.list();
      expect(records.map((r) => r.format).sort()).toEqual([...ARCHIVE_FORMATS].sort());
      for (const r of records) {
        expect(r).toMatchObject({ location: h.store.location, name: "snap", stateFile: true });
        expect(r.size).toBe(readFileSync(files.get(r.format as ArchiveFormat)!).byteLength);
      }
      const copies = await h.store.stat("snap");
      expect(copies.length).toBe(ARCHIVE_FORMATS.length);
      for (const [i, format] of ARCHIVE_FORMATS.entries()) {
        const copy = copies[i]!;
        expect(copy.where.endsWith(archiveFileName("snap", format))).toBe(true); // the layout's order: zip, tar.gz, tar.zst
        expect(copy.size).toBe(readFileSync(files.get(format)!).byteLength);
        const fetched = await h.store.fetch(copy);
        try {
          expect(sha256(fetched.path)).toBe(sha256(files.get(format)!));
        } finally {
          await fetched.release();
        }
      }
      // Fetching only reads: every copy is still there.
      expect((await h.store.stat("snap")).length).toBe(ARCHIVE_FORMATS.length);
    });

    test("what list tells of an archive without a state file, and of a raw snapshot", async () => {
      await h.store.put(await makeArchive(src, "bare", "tar.gz", { state: false }), "bare", "tar.gz");
      const raw = join(src, "raw-snap");
      writeFileSync(raw, makeBoltSnapshot(20_000));
      h.seedRaw("legacy", raw);
      const records = await h.store.list();
      expect(records.map((r) => [r.name, r.format, r.stateFile]).sort()).toEqual([
        ["bare", "tar.gz", false],
        ["legacy", "raw", false],
      ]);
      const copies = await h.store.stat("legacy");
      expect(copies.length).toBe(1);
      expect(copies[0]!.size).toBe(readFileSync(raw).byteLength);
    });

    test("a state file of 400 KiB (certificates) is seen in every format, however it compresses", async () => {
      // A state file holds PEM certificates and keys: base64, which compresses to about 3/4, so that
      // a tar.zst's first block is larger than any small fixed first read of the object.
      const certs = Buffer.from(JSON.stringify({ certificatesBundle: randomBytes(300 * 1024).toString("base64") }));
      for (const format of ARCHIVE_FORMATS) await h.store.put(await makeArchive(src, "certs", format, { state: certs }), "certs", format);
      await h.store.put(await makeArchive(src, "bare", "tar.zst", { state: false }), "bare", "tar.zst");
      const records = await h.store.list();
      expect(records.map((r) => [r.name, r.format, r.stateFile]).sort()).toEqual([
        ["bare", "tar.zst", false],
        ["certs", "tar.gz", true],
        ["certs", "tar.zst", true],
        ["certs", "zip", true],
      ]);
    });

    test("the raw snapshot comes after the archives of the same name", async () => {
      await h.store.put(await makeArchive(src, "snap", "zip"), "snap", "zip");
      const raw = join(src, "raw-snap2");
      writeFileSync(raw, makeBoltSnapshot(20_000));
      h.seedRaw("snap", raw);
      const copies = await h.store.stat("snap");
      expect(copies.map((c) => c.where.slice(c.where.lastIndexOf("/") + 1))).toEqual(["snap.zip", "snap"]);
    });

    test("remove takes exactly the snapshot's copies, never a longer name's", async () => {
      await h.store.put(await makeArchive(src, "snap", "zip"), "snap", "zip");
      await h.store.put(await makeArchive(src, "snap", "tar.zst"), "snap", "tar.zst");
      await h.store.put(await makeArchive(src, "snap10", "zip"), "snap10", "zip");
      const raw = join(src, "raw-snap3");
      writeFileSync(raw, makeBoltSnapshot(20_000));
      h.seedRaw("snap", raw);
      await h.store.remove("snap");
      expect(await h.store.stat("snap")).toEqual([]);
      expect((await h.store.stat("snap10")).length).toBe(1);
      expect((await h.store.list()).map((r) => r.name)).toEqual(["snap10"]);
    });

    test("removing what is not there removes nothing else", async () => {
      await h.store.put(await makeArchive(src, "kept", "zip"), "kept", "zip");
      await h.store.remove("gone");
      expect((await h.store.list()).map((r) => r.name)).toEqual(["kept"]);
    });

    test(kind.keepsDigest ? "the SHA-256 kept beside an archive is the archive's" : "no SHA-256 is claimed where none is kept", async () => {
      const file = await makeArchive(src, "digest", "zip");
      await h.store.put(file, "digest", "zip", { sha256: sha256(file) });
      const [record] = await h.store.list();
      const [copy] = await h.store.stat("digest");
      expect(record!.sha256).toBe(kind.keepsDigest ? sha256(file) : undefined);
      expect(copy!.stored?.sha256).toBe(kind.keepsDigest ? sha256(file) : undefined);
    });

    test("a fetched copy is readable until released; a temporary copy goes with the release", async () => {
      await h.store.put(await makeArchive(src, "snap", "tar.zst"), "snap", "tar.zst");
      const [copy] = await h.store.stat("snap");
      const fetched = await h.store.fetch(copy!);
      expect(existsSync(fetched.path)).toBe(true);
      expect(fetched.path === copy!.where).toBe(h.store.readsInPlace); // what verify's progress lines go by
      await fetched.release();
      expect(existsSync(fetched.path)).toBe(fetched.path === copy!.where); // the folder hands out its own file
      expect((await h.store.list()).map((r) => [r.name, r.format])).toEqual([["snap", "tar.zst"]]);
    });
  });
}
