/**
 * Snapshot fixtures for the restore-side fault tests: a snapshot-shaped payload (half compressible,
 * half random, then the SHA-256 of it, as etcd writes) and a zip in the original's layout written
 * by Python's zipfile — independent of our writer, so a fault test of the readers does not lean on it.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";

export function snapshotBytes(size: number): Buffer {
  const half = Math.floor(size / 2);
  return withTrailer(Buffer.concat([Buffer.alloc(half, '{"kind":"ConfigMap","data":{"k":"v"}}'), randomBytes(size - half)]));
}

/** `body` followed by its SHA-256, as etcd ends a snapshot (serve refuses anything else). */
export function withTrailer(body: Uint8Array): Buffer {
  return Buffer.concat([body, createHash("sha256").update(body).digest()]);
}

/** A state file of about `size` bytes: JSON, like RKE's full cluster state (mostly PEM text). */
export function stateJson(size: number): string {
  const pem = randomBytes(Math.ceil((size * 3) / 4)).toString("base64");
  return JSON.stringify({ desiredState: { certificatesBundle: { "kube-ca": { certificatePEM: pem } } }, currentState: {} });
}

/** Writes `path` as a zip with the given entries (names kept absolute), deflated. */
export function writeZip(path: string, entries: [string, Uint8Array | string][]): void {
  // ZipInfo keeps the absolute name (write() would strip the leading slash).
  const script =
    "import zipfile,sys\nwith zipfile.ZipFile(sys.argv[1],'w') as z:\n  for i in range(2,len(sys.argv),2): z.writestr(zipfile.ZipInfo(sys.argv[i]), open(sys.argv[i+1],'rb').read(), zipfile.ZIP_DEFLATED)";
  const args = [script, path];
  const files: string[] = [];
  entries.forEach(([name, data], i) => {
    const f = `${path}.in-${i}`;
    writeFileSync(f, data);
    files.push(f);
    args.push(name, f);
  });
  const r = spawnSync("python3", ["-c", ...args], { encoding: "utf8" });
  for (const f of files) rmSync(f, { force: true });
  if (r.status !== 0) throw new Error(`python zipfile: ${r.stderr}`);
}
