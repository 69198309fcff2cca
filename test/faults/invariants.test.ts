/** The checker itself: it must catch what it is there to catch (a truncated zip, a bad CRC, a bad trailer). */
import { afterAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWith, hasCommand } from "../support/components.ts";
import { snapshotBytes, writeZip } from "./fixtures.ts";
import { checkDir, checkTools } from "./invariants.ts";

const dir = mkdtempSync(join(tmpdir(), "rke-faults-inv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const snapshot = snapshotBytes;
const pyZip = writeZip;

describeWith([...checkTools, hasCommand("python3", "apt-get install python3")], "fault invariants checker", () => {
  test("accepts complete files and names each damaged one", () => {
    const d = mkdtempSync(join(dir, "case-"));
    const snap = snapshot(256 * 1024);
    pyZip(join(d, "good.zip"), [
      ["/backup/good", snap],
      ["/etc/kubernetes/good.rkestate", Buffer.from('{"a":1}')],
    ]);
    pyZip(join(d, "truncated.zip"), [["/backup/truncated", snap]]);
    truncateSync(join(d, "truncated.zip"), 100 * 1024);
    pyZip(join(d, "badcrc.zip"), [["/backup/badcrc", snap]]);
    const bytes = readFileSync(join(d, "badcrc.zip"));
    bytes[bytes.indexOf("/backup/badcrc") + 14 + 2000]! ^= 0xff; // inside the deflated data
    writeFileSync(join(d, "badcrc.zip"), bytes);
    pyZip(join(d, "notrailer.zip"), [["/backup/notrailer", randomBytes(4096)]]);
    writeFileSync(join(d, "raw-good"), snap);
    const flipped = Buffer.from(snap);
    flipped[10]! ^= 1;
    writeFileSync(join(d, "raw-bad"), flipped);
    writeFileSync(join(d, "half.rkestate"), '{"desiredState":');
    writeFileSync(join(d, ".good.zip.rke-tmp-0123456789ab"), "partial");
    const c = checkDir(d, { raw: (n) => n.startsWith("raw-") });
    expect(c.temps).toEqual([".good.zip.rke-tmp-0123456789ab"]);
    expect(c.finals).toEqual(["badcrc.zip", "good.zip", "half.rkestate", "notrailer.zip", "raw-bad", "raw-good", "truncated.zip"]);
    const bad = c.problems.map((p) => p.slice(d.length + 1).split(":")[0]);
    expect(bad).toEqual(["badcrc.zip", "half.rkestate", "notrailer.zip", "raw-bad", "truncated.zip"]);
    expect(c.problems.find((p) => p.includes("notrailer.zip"))).toContain("fails its SHA-256 trailer");
    expect(c.problems.find((p) => p.includes("badcrc.zip"))).toContain("unzip -t failed");
  });
});
