import { describe, expect, test } from "bun:test";
import {
  archiveFileName,
  archiveFileNames,
  archivePath,
  entryNames,
  existingArchivePath,
  extractedStatePath,
  parseArchiveFileName,
  rawPath,
  s3Key,
  stateFilePath,
} from "../../src/snapshot/layout.ts";

const NAME = "rke_etcd_snapshot_2024-05-01T14:00:00+02:00";

describe("archive formats by name", () => {
  test("file names per format", () => {
    expect(archiveFileName(NAME, "zip")).toBe(`${NAME}.zip`);
    expect(archiveFileName(NAME, "tar.zst")).toBe(`${NAME}.tar.zst`);
    expect(archiveFileNames("x")).toEqual(["x.zip", "x.tar.gz", "x.tar.zst"]);
  });

  test("parsing a file name strips the whole suffix", () => {
    expect(parseArchiveFileName(`${NAME}.tar.gz`)).toEqual({ name: NAME, format: "tar.gz" });
    expect(parseArchiveFileName("2024-05-01T12:00:00Z_etcd.tar.zst")).toEqual({ name: "2024-05-01T12:00:00Z_etcd", format: "tar.zst" });
    expect(parseArchiveFileName("x.zip")).toEqual({ name: "x", format: "zip" });
    expect(parseArchiveFileName("x.tar")).toBeUndefined();
    expect(parseArchiveFileName("x")).toBeUndefined();
    expect(parseArchiveFileName(".zip")).toBeUndefined();
    expect(parseArchiveFileName("pki.bundle.tar.gz")).toEqual({ name: "pki.bundle", format: "tar.gz" });
  });

  test("entry names: absolute in the zip (RKE's readers), relative in tar", () => {
    expect(entryNames("s", "zip")).toEqual({ snapshot: "/backup/s", state: "/etc/kubernetes/s.rkestate" });
    expect(entryNames("s", "tar.gz")).toEqual({ snapshot: "backup/s", state: "etc/kubernetes/s.rkestate" });
  });
});

describe("the snapshot's paths and keys", () => {
  test("files under the backup folder, the state file RKE leaves, extractstatefile's output", () => {
    expect(archivePath("/backup", "s")).toBe("/backup/s.zip");
    expect(archivePath("/backup", "s", "tar.zst")).toBe("/backup/s.tar.zst");
    expect(rawPath("/backup", "s")).toBe("/backup/s");
    expect(existingArchivePath("/nonexistent", "s")).toBe("/nonexistent/s.zip");
    expect(stateFilePath("/etc/kubernetes", "s")).toBe("/etc/kubernetes/s.rkestate");
    expect(extractedStatePath("/tmp")).toBe("/tmp/cluster.rkestate");
  });

  test("keys are [folder/]name, folder verbatim", () => {
    expect(s3Key("", "snap.zip")).toBe("snap.zip");
    expect(s3Key("a/b", "snap.zip")).toBe("a/b/snap.zip");
  });
});
