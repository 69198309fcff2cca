/**
 * rancher/migration-agent's reading of an RKE1 snapshot (pkg/migrate/util.go: unzip, extract,
 * findSnapshotFile, findStateFile), replayed with Python's zipfile (a reader independent of ours):
 * - Go's zip.OpenReader: anything that is not a zip is refused;
 * - each entry goes to filepath.Join(dest, name) (cleaned: "/backup/x" → dest/backup/x), refused
 *   when that leaves dest; directories by MkdirAll(path, mode), files after MkdirAll(dir(path),
 *   mode) by OpenFile(path, O_CREATE|O_TRUNC, mode), mode being Go's FileHeader.Mode(): the Unix
 *   mode for creator Unix or macOS, the MS-DOS attributes (0666, 0444 read-only, dirs 0777) for
 *   FAT/NTFS/VFAT, else 0;
 * - findSnapshotFile: the first regular file, in filepath.Walk's lexical order, whose path does not
 *   end in ".rkestate"; findStateFile: the first path that does.
 */
import { spawnSync } from "node:child_process";

export interface AgentRead {
  /** Go's error, as the agent would stop with it. */
  error?: string;
  snapshot?: string;
  state?: string;
  /** Every path created, relative to dest, with its permission bits. */
  files: { path: string; mode: number }[];
}

const SCRIPT = String.raw`
import json, os, stat, sys, zipfile
src, dest = sys.argv[1], sys.argv[2]
out = {"files": []}
def go_mode(i):
    creator = i.create_system
    if creator in (3, 19):  # unix, macOS
        m = i.external_attr >> 16
        mode = m & 0o777
        if m & stat.S_ISUID: mode |= 0o4000
        if m & stat.S_ISGID: mode |= 0o2000
        if m & stat.S_ISVTX: mode |= 0o1000
        isdir = stat.S_ISDIR(m)
    elif creator in (0, 11, 14):  # FAT, NTFS, VFAT
        a = i.external_attr
        isdir = bool(a & 0x10)
        mode = 0o777 if isdir else (0o444 if a & 0x01 else 0o666)
    else:
        mode, isdir = 0, False
    return mode, isdir or i.filename.endswith("/")
try:
    z = zipfile.ZipFile(src)
except Exception as e:
    print(json.dumps({"error": "zip: not a valid zip file (%s)" % e, "files": []})); sys.exit(0)
os.makedirs(dest, 0o700, exist_ok=True)
try:
    for i in z.infolist():
        path = os.path.normpath(dest + "/" + i.filename)
        if not path.startswith(os.path.normpath(dest) + "/"):
            raise Exception("illegal file path: " + path)
        mode, isdir = go_mode(i)
        if isdir:
            os.makedirs(path, mode, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), mode, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            with os.fdopen(fd, "wb") as f, z.open(i) as r:
                while True:
                    b = r.read(1 << 20)
                    if not b: break
                    f.write(b)
except Exception as e:
    out["error"] = str(e)
walk = []
def go_walk(p):
    walk.append(p)
    if os.path.isdir(p) and not os.path.islink(p):
        for n in sorted(os.listdir(p)): go_walk(os.path.join(p, n))
if "error" not in out:
    go_walk(dest)
    out["state"] = next((p for p in walk if p.endswith(".rkestate")), None)
    out["snapshot"] = next((p for p in walk if not os.path.isdir(p) and not p.endswith(".rkestate")), None)
    if out["snapshot"] is None: out["error"] = "snapshot file not found"
    elif out["state"] is None: out["error"] = "file not found"
    out["files"] = [{"path": os.path.relpath(p, dest), "mode": stat.S_IMODE(os.lstat(p).st_mode)} for p in walk[1:]]
print(json.dumps(out))
`;

/** Reads `zip` into `dest` as the migration agent does. */
export function agentRead(zip: string, dest: string): AgentRead {
  const r = spawnSync("python3", ["-c", SCRIPT, zip, dest], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python3: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { error?: string; snapshot?: string | null; state?: string | null; files: AgentRead["files"] };
  return { error: j.error, snapshot: j.snapshot ?? undefined, state: j.state ?? undefined, files: j.files };
}
