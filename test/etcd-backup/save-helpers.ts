/** Shared set-up for the save tests: relocated dirs, the env to pass, archive inspection with Python. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Dirs {
  root: string;
  backup: string;
  kubernetes: string;
  env: Record<string, string | undefined>;
  cleanup(): void;
}

export function makeDirs(extraEnv: Record<string, string> = {}): Dirs {
  const root = mkdtempSync(join(tmpdir(), "rke-save-"));
  const backup = join(root, "backup");
  const kubernetes = join(root, "kubernetes");
  mkdirSync(backup);
  mkdirSync(kubernetes);
  return {
    root,
    backup,
    kubernetes,
    env: { PATH: process.env.PATH, RKE_TOOLS_BACKUP_DIR: backup, RKE_TOOLS_KUBERNETES_DIR: kubernetes, RKE_TOOLS_TMP_DIR: join(root, "tmp"), ...extraEnv },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export const list = (dir: string) => readdirSync(dir).sort();

export interface PyEntry {
  name: string;
  mode: string;
  external: number;
  create_system: number;
  create_version: number;
  extract_version: number;
  flags: number;
  size: number;
  sha256: string;
  crc_ok: boolean;
}

/** Python's zipfile view of an archive: entries with modes and the SHA-256 of each content. */
export function pyZip(path: string): PyEntry[] {
  const script = `
import zipfile, hashlib, json, sys
z = zipfile.ZipFile(sys.argv[1])
out = []
for i in z.infolist():
    h = hashlib.sha256()
    with z.open(i) as f:
        while True:
            b = f.read(1 << 20)
            if not b: break
            h.update(b)
    out.append(dict(name=i.filename, mode=oct(i.external_attr >> 16), external=i.external_attr, create_system=i.create_system,
        create_version=i.create_version, extract_version=i.extract_version, flags=i.flag_bits, size=i.file_size, sha256=h.hexdigest(), crc_ok=True))
print(json.dumps(out))
`;
  const r = spawnSync("python3", ["-c", script, path], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`python zipfile failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PyEntry[];
}

export function unzipTest(path: string): { code: number; out: string } {
  const r = spawnSync("unzip", ["-t", path], { encoding: "utf8" });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

export function sha256File(path: string): string {
  const r = spawnSync("sha256sum", [path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`sha256sum failed: ${r.stderr}`);
  return r.stdout.split(" ")[0]!;
}
