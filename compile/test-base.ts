/**
 * The base of the *test image*: a Debian bookworm root made with mmdebstrap from the Debian mirror
 * apt on this machine already uses (no registry, no other download), imported into the engine.
 * It carries the toolbox RKE's one-liners need (spec d-4) at the paths RKE calls them by; the
 * production base (nginx:…-alpine + the tools stage's downloads) is in package/Dockerfile.
 *
 * mmdebstrap takes minutes here, so the root's tar is cached by the hash of everything that makes
 * it (packages, hooks, the apt sources) in `cacheDir`; importing a cached tar takes seconds.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { type Engine, engineRun, imageExists } from "./engine.ts";

/** Debian packages over mmdebstrap's `essential` variant (bash, coreutils, findutils, tar, gzip…). */
export const TEST_BASE_PACKAGES = [
  "acl", // setfacl (cert-deployer with ETCD_UID/GID)
  "ncat", // nc that takes -kl -p -e and -w -z (Debian's busybox and netcat builds lack -k, -z or a PATH lookup for -e)
  "procps", // sysctl (the old ingress initContainer)
  "nginx-light",
  "libnginx-mod-stream", // nginx-proxy's L4 proxy: a dynamic module on Debian
  "etcd-client", // etcdctl 3.4: still has `snapshot restore` (etcd-restore)
  "containernetworking-plugins", // loopback and portmap for the weave DaemonSet
  "ca-certificates",
] as const;

/**
 * `nc` is ncat (-kl -p, -w -z) behind a wrapper, for two ncat 7.93 faults RKE's port listener
 * (`nc -kl -p 1337 -e echo`, the container's PID 1) would hit: ncat runs -e's program by a path
 * relative to the working directory (busybox looks it up on PATH), and ncat as PID 1 with -k -e
 * aborts after its first connection ("assertion failed: count <= INT_MAX"). So the wrapper resolves
 * the program and keeps ncat a child, passing TERM/INT on. No single quotes in it.
 */
const NC_WRAPPER = [
  "#!/bin/bash",
  "# ncat as busybox nc: the program of -e looked up on PATH; ncat kept off PID 1",
  "a=()",
  "while [ $# -gt 0 ]; do",
  '  if [ "$1" = -e ] && [ $# -gt 1 ]; then a+=(-e "$(type -P "$2" || echo "$2")"); shift 2; else a+=("$1"); shift; fi',
  "done",
  'ncat "${a[@]}" <&0 & c=$!',
  'trap "kill \\$c 2>/dev/null" TERM INT',
  "wait $c",
];

/**
 * Run in the finished root ($1): the paths RKE uses. /bin/sh is bash (file-deployer's `echo -e`);
 * etcdctl and nc where RKE calls them; the CNI plugins in /tmp (weave-plugins-cni moves them); no apt
 * sources left in the image.
 */
export const TEST_BASE_HOOK = [
  'ln -sf bash "$1/bin/sh"',
  'ln -sf /usr/bin/etcdctl "$1/usr/local/bin/etcdctl"',
  `printf '%s\\n' ${NC_WRAPPER.map((l) => `'${l}'`).join(" ")} > "$1/usr/local/bin/nc"`,
  'chmod 755 "$1/usr/local/bin/nc"',
  'mv "$1/usr/lib/cni/loopback" "$1/usr/lib/cni/portmap" "$1/tmp/"',
  'rm -rf "$1/usr/lib/cni"',
  'mkdir -p "$1/opt/cni/bin"',
  'rm -rf "$1/etc/apt/sources.list" "$1/etc/apt/sources.list.d"',
].join(" && ");

const EXCLUDE = ["/usr/share/man/*", "/usr/share/doc/*", "/usr/share/locale/*", "/usr/share/info/*"];

/** apt's own source files on this machine (the mirror is never written anywhere else). */
export function aptSources(): string[] {
  const files: string[] = [];
  if (existsSync("/etc/apt/sources.list") && statSync("/etc/apt/sources.list").size > 0) files.push("/etc/apt/sources.list");
  const d = "/etc/apt/sources.list.d";
  if (existsSync(d)) for (const f of readdirSync(d).sort()) if (/\.(list|sources)$/.test(f)) files.push(join(d, f));
  if (files.length === 0) throw new Error("Cannot make the test base: apt has no sources (/etc/apt/sources.list, /etc/apt/sources.list.d/*.sources)");
  return files;
}

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "rke-tools-ts");
}

/** What makes the base: a change to any of it makes a new tar and a new image tag. */
export function testBaseKey(sources: string[] = aptSources()): string {
  const h = createHash("sha256").update(JSON.stringify({ suite: "bookworm", pkgs: TEST_BASE_PACKAGES, hook: TEST_BASE_HOOK, EXCLUDE, keepTmp: true }));
  for (const f of sources) h.update(f).update(readFileSync(f));
  return h.digest("hex").slice(0, 16);
}

export interface TestBase {
  /** `localhost/rke-tools-ts-base:<key>` */
  ref: string;
  tar: string;
  /** true when mmdebstrap ran (not from the cache) */
  made: boolean;
  /** true when this call imported it into the engine */
  imported: boolean;
}

/** Makes (or finds) the test base and imports it into `engine` under a content-addressed tag. */
export function testBase(engine: Engine, opts: { cacheDir?: string; labels?: Record<string, string>; log?: (line: string) => void } = {}): TestBase {
  const log = opts.log ?? (() => {});
  const sources = aptSources();
  const key = testBaseKey(sources);
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const tar = join(cacheDir, `test-base-${key}.tar`);
  const ref = `localhost/rke-tools-ts-base:${key}`;
  let made = false;
  if (!existsSync(tar)) {
    if (!Bun.which("mmdebstrap")) throw new Error("Cannot make the test base: mmdebstrap not found on PATH (apt-get install mmdebstrap)");
    mkdirSync(cacheDir, { recursive: true });
    const part = `${tar}.part-${process.pid}`;
    log(`making the test base with mmdebstrap (bookworm, ${TEST_BASE_PACKAGES.length} packages over 'essential')…`);
    const args = [
      "--variant=essential",
      `--include=${TEST_BASE_PACKAGES.join(",")}`,
      ...EXCLUDE.map((p) => `--dpkgopt=path-exclude=${p}`),
      `--customize-hook=${TEST_BASE_HOOK}`,
      "--skip=cleanup/tmp", // the CNI plugins live in /tmp
      "--format=tar",
      "bookworm",
      part,
      ...sources,
    ];
    const r = spawnSync("mmdebstrap", args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (r.status !== 0) {
      rmSync(part, { force: true });
      const last =
        (r.stderr ?? "")
          .trim()
          .split("\n")
          .filter((l) => l.startsWith("E:"))
          .pop() ?? `exit ${r.status}`;
      throw new Error(`Cannot make the test base: mmdebstrap failed: ${last}`);
    }
    renameSync(part, tar);
    made = true;
  }
  let imported = false;
  if (!imageExists(engine, ref)) {
    const labels = Object.entries(opts.labels ?? {}).map(([k, v]) => `--change=LABEL ${k}=${v}`);
    engineRun(engine, ["import", ...labels, '--change=CMD ["/bin/bash"]', tar, ref], `importing the test base ${tar}`);
    imported = true;
  }
  return { ref, tar, made, imported };
}
