import { describe, expect, test } from "bun:test";
import { clusterPrefix, isRecurringOf, isRollingKey, requireName, rollingName, rollingTimeOf, validateSnapshotName } from "../../src/snapshot/name.ts";

describe("snapshot names", () => {
  test("valid names pass unchanged, RFC3339 characters included", () => {
    for (const n of ["snap1", "2024-05-01T12:00:00Z_etcd", "rke_etcd_snapshot_2024-05-01T14:00:00+02:00", "c-8k8lp-rs-dq2mx_2024-05-01T12-00-00Z", ".hidden", "a.zip"]) {
      expect(validateSnapshotName(n)).toBe(n);
    }
  });

  test("refused: empty, NUL, '/', '.', '..', and our temporary-file marker (#19 item 4)", () => {
    expect(() => validateSnapshotName("")).toThrow('invalid snapshot name "" given by --name: it is empty');
    expect(() => validateSnapshotName("a\0b")).toThrow("contains a NUL byte");
    expect(() => validateSnapshotName("../x")).toThrow("contains '/'");
    expect(() => validateSnapshotName("..")).toThrow("is '..'");
    expect(() => validateSnapshotName(".foo.zip.rke-tmp-1", "--name")).toThrow(
      "invalid snapshot name \".foo.zip.rke-tmp-1\" given by --name: it contains '.rke-tmp-', which marks temporary files",
    );
    expect(() => validateSnapshotName("x.rke-tmp-")).toThrow("marks temporary files");
  });

  test("requireName: the original's text when missing", () => {
    expect(() => requireName("")).toThrow("snapshot name is required");
    expect(requireName("x")).toBe("x");
  });

  test("rolling name ⇄ time", () => {
    const tick = new Date(Date.UTC(2024, 4, 1, 12, 0, 0, 456));
    expect(rollingName(tick)).toBe("2024-05-01T12:00:00Z_etcd");
    expect(rollingTimeOf("2024-05-01T12:00:00Z_etcd.zip")).toBe(Date.UTC(2024, 4, 1, 12, 0, 0));
    expect(rollingTimeOf("2024-05-01T14:00:00+02:00_etcd")).toBe(Date.UTC(2024, 4, 1, 12, 0, 0));
    expect(rollingTimeOf("pki.bundle.tar.gz")).toBeInstanceOf(Error);
    expect(isRollingKey("f/2024-05-01T12:00:00Z_etcd.tar.zst")).toBe(true);
    expect(isRollingKey("2024-05-01T12:00:00Z_etcdxzip")).toBe(true); // the original's unescaped dot
    expect(isRollingKey("c-abc12-rl-x_2024-05-01T12:00:00Z.zip")).toBe(false);
  });

  test("Rancher prefixes: the whole c-m- id, recurring r? only", () => {
    expect(clusterPrefix("c-abc12-rl-old1_2024")).toBe("c-abc12-");
    expect(clusterPrefix("c-m-abcd1234-rs-x")).toBe("c-m-abcd1234-");
    expect(clusterPrefix("snap1")).toBeUndefined();
    expect(isRecurringOf("c-abc12-", "c-abc12-rl-old1.zip")).toBe(true);
    expect(isRecurringOf("c-abc12-", "c-abc12-ml-x.zip")).toBe(false);
    expect(isRecurringOf("c-abc12-", "c-xyz99-rl-x.zip")).toBe(false);
  });
});
