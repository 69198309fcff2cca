/**
 * The image under test and RKE's containers, run by podman (test/image/). One test base and one
 * image per `bun test` process: built on first use, by content hash (base: compile/test-base.ts,
 * cached as a tar across runs; image: the Dockerfile + our tree), removed when the process exits.
 * Everything made here carries LABEL (containers, volumes, images) or PREFIX (names, network
 * namespaces) and is swept at start and at exit, so a crashed run leaves nothing behind.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryPath } from "../../compile/build.ts";
import { type Engine, engineRun, engineTry, findEngine, imageExists, lastLine } from "../../compile/engine.ts";
import { buildImage, DOCKERFILE, testImageArgs } from "../../compile/image.ts";
import { assembleRootfs } from "../../compile/rootfs.ts";
import { testBase } from "../../compile/test-base.ts";
import { component, hasCommand, isRoot } from "../support/components.ts";
import { atEnd } from "../support/at-end.ts";
import { recordOutput } from "../support/secrets.ts";

export const LABEL = "rke-tools-ts.test=image";
export const PREFIX = "rkeimg-";

export const imageComponents = [
  isRoot,
  hasCommand("podman", "apt-get install podman runc"),
  hasCommand("runc", "apt-get install runc (crun fails on hybrid cgroups)"),
  hasCommand("ip", "apt-get install iproute2"),
  component("test base", () => (Bun.which("mmdebstrap") ? undefined : "mmdebstrap not found on PATH (apt-get install mmdebstrap)")),
];

let engine: Engine | undefined;
let work: string | undefined;
const made: string[] = []; // image refs this process created

export function podman(): Engine {
  if (engine) return engine;
  engine = findEngine("podman");
  if (!engine) throw new Error("podman not found on PATH");
  sweep();
  atEnd(() => {
    sweep();
    for (const ref of made.reverse()) engineTry(engine!, ["rmi", "-f", ref]);
    if (work) rmSync(work, { recursive: true, force: true });
  });
  return engine;
}

/** A temp dir for this process's files (removed at exit). */
export function workDir(): string {
  work ??= mkdtempSync(join(tmpdir(), PREFIX));
  return work;
}

/** Removes every container, volume, labelled image and namespace a run of this suite made (this one or a crashed one). */
export function sweep(): void {
  const e = engine!;
  const ids = engineTry(e, ["ps", "-aq", "--filter", `label=${LABEL}`])
    .stdout.split("\n")
    .filter(Boolean);
  if (ids.length) engineTry(e, ["rm", "-f", "-v", "-t", "0", ...ids]);
  const vols = engineTry(e, ["volume", "ls", "-q", "--filter", `label=${LABEL}`])
    .stdout.split("\n")
    .filter(Boolean);
  if (vols.length) engineTry(e, ["volume", "rm", "-f", ...vols]);
  const imgs = engineTry(e, ["images", "-q", "--filter", `label=${LABEL}`])
    .stdout.split("\n")
    .filter(Boolean);
  if (imgs.length) engineTry(e, ["rmi", "-f", ...new Set(imgs)]);
  for (const ns of spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout.split("\n")) {
    const name = ns.split(" ")[0];
    if (name?.startsWith(PREFIX)) spawnSync("ip", ["netns", "delete", name]);
  }
}

let images: { base: string; image: string; hyperkube: string } | undefined;

/** The test base, our image on it, and a foreign "hyperkube" image (none of our files), built once. */
export function testImages(): { base: string; image: string; hyperkube: string } {
  if (images) return images;
  const e = podman();
  const base = testBase(e, { labels: { "rke-tools-ts.test": "image" } });
  if (base.imported) made.push(base.ref);

  const ctx = join(workDir(), "context");
  const manifest = assembleRootfs("x64", binaryPath("x64"), join(ctx, "dist/rootfs/linux-x64"));
  const key = createHash("sha256")
    .update(readFileSync(DOCKERFILE))
    .update(base.ref)
    .update(JSON.stringify(manifest.entries))
    .update(manifest.executable.sha256)
    .update(JSON.stringify(manifest.glibc.files))
    .digest("hex")
    .slice(0, 16);
  const image = `localhost/${PREFIX}rke-tools:${key}`;
  const dangling = () => new Set(engineTry(e, ["images", "-q", "--no-trunc", "--filter", "dangling=true"]).stdout.split("\n").filter(Boolean));
  const before = dangling();
  if (!imageExists(e, image)) {
    buildImage(e, { context: ctx, arch: "x64", tag: image, buildArgs: { VERSION: "test", ...testImageArgs(base.ref) }, labels: { "rke-tools-ts.test": "image" }, offline: true });
    made.push(image);
  }
  rmSync(ctx, { recursive: true, force: true });

  // hyperkube stand-in: the Debian base with component stand-ins that report their PID and argv.
  const hk = join(workDir(), "hyperkube");
  mkdirSync(hk, { recursive: true });
  // It stays up (as a component would), so the test reads the container's PID while it runs.
  const standIn = '#!/bin/bash\necho "pid=$$ comm=$(cat /proc/$$/comm) argv0=$(basename "$0") args=$*"\nexec sleep 3600\n';
  for (const c of ["kube-scheduler", "kube-proxy"]) {
    writeFileSync(join(hk, c), standIn);
    chmodSync(join(hk, c), 0o755);
  }
  writeFileSync(join(hk, "Containerfile"), `FROM ${base.ref}\nCOPY kube-scheduler kube-proxy /usr/local/bin/\n`);
  const hyperkube = `localhost/${PREFIX}hyperkube:${key}`;
  if (!imageExists(e, hyperkube)) {
    engineRun(e, ["build", "--pull=never", "--network", "host", "--isolation", "chroot", "--label", LABEL, "-t", hyperkube, hk], "building the hyperkube stand-in");
    made.push(hyperkube);
  }
  // The build's stage images (rootfs, tools) are left untagged: ours to remove too.
  for (const id of dangling()) if (!before.has(id)) made.unshift(id);
  images = { base: base.ref, image, hyperkube };
  return images;
}

/** What RKE puts in container.Config / HostConfig, as far as these tests use it. */
export interface ContainerSpec {
  name: string;
  image: string;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  binds?: string[];
  /** host | none | ns:/run/netns/<name> */
  network: string;
  restart?: "no" | "always" | "on-failure";
  privileged?: boolean;
  pidMode?: "host";
  volumesFrom?: string[];
  tty?: boolean;
}

/** The podman name of a container: RKE's name with the suite's prefix (RKE's name stays visible). */
export const cname = (name: string, node = "") => `${PREFIX}${node ? `${node}-` : ""}${name}`;

export function create(spec: ContainerSpec, node = ""): string {
  const name = cname(spec.name, node);
  const a = ["create", "--name", name, "--label", LABEL, "--label", `io.rancher.rke.container.name=${spec.name}`, "--network", spec.network];
  if (spec.entrypoint) a.push("--entrypoint", JSON.stringify(spec.entrypoint));
  for (const v of spec.env ?? []) a.push("--env", v);
  for (const b of spec.binds ?? []) a.push("--volume", b);
  if (spec.restart && spec.restart !== "no") a.push("--restart", spec.restart);
  if (spec.privileged) a.push("--privileged");
  if (spec.pidMode) a.push("--pid", spec.pidMode);
  for (const f of spec.volumesFrom ?? []) a.push("--volumes-from", f);
  if (spec.tty) a.push("--tty");
  a.push(spec.image, ...(spec.cmd ?? []));
  engineRun(podman(), a, `creating container ${spec.name}`);
  return name;
}

/** Podman fills a created container's anonymous volume on init (Docker does it at create). */
export function engineInit(name: string): void {
  engineRun(podman(), ["init", name], `initialising container ${name}`);
}

export function start(name: string): void {
  engineRun(podman(), ["start", name], `starting container ${name}`);
}

export interface Exited {
  code: number;
  stdout: string;
  stderr: string;
}

/** stdout and stderr of a container, apart (RKE reads them apart with tail=1). */
export function logs(name: string): { stdout: string; stderr: string } {
  const r = engineTry(podman(), ["logs", name]);
  recordOutput(`container ${name}`, r.stdout, r.stderr); // for the secrets sweep in test/run.ts
  return { stdout: r.stdout, stderr: r.stderr };
}

/** Waits for the container to exit (bounded) and returns its exit code and logs. */
export function wait(name: string, timeoutMs = 120_000): Exited {
  const r = engineTry(podman(), ["wait", name], { timeoutMs });
  if (r.status !== 0) throw new Error(`container ${name} did not exit within ${timeoutMs / 1000} s: ${lastLine(r.stderr) || "timeout"}`);
  return { code: Number(r.stdout.trim()), ...logs(name) };
}

/** create + start + wait: a one-time container as RKE runs it (docker.DoRunOnetimeContainer). */
export function runOnce(spec: ContainerSpec, node = "", timeoutMs?: number): Exited {
  const name = create(spec, node);
  start(name);
  return wait(name, timeoutMs);
}

export interface State {
  Status: string;
  Running: boolean;
  ExitCode: number;
  Pid: number;
  StartedAt: string;
  RestartCount: number;
}

export function inspect(name: string): State {
  const out = engineRun(podman(), ["inspect", "--format", "{{json .State}}|{{.RestartCount}}", name], `inspecting container ${name}`);
  const [state, restarts] = out.trim().split("|");
  return { ...(JSON.parse(state!) as State), RestartCount: Number(restarts) };
}

/** Polls (bounded) until `ok(state)`; throws one line naming the container and its last log line. */
export async function until(name: string, what: string, ok: (s: State) => boolean, timeoutMs = 60_000): Promise<State> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = inspect(name);
    if (ok(s)) return s;
    if (Date.now() > deadline) {
      const l = logs(name);
      throw new Error(`container ${name} never became ${what} (status ${s.Status}, exit ${s.ExitCode}): ${lastLine(l.stderr) || lastLine(l.stdout)}`);
    }
    await Bun.sleep(200);
  }
}

export function remove(...names: string[]): void {
  if (names.length) engineTry(podman(), ["rm", "-f", "-v", "-t", "0", ...names]);
}

/** `podman exec` in a running container. */
export function exec(name: string, argv: string[]): Exited {
  const r = engineTry(podman(), ["exec", name, ...argv]);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Two nodes joined by a veth pair in network namespaces of our own: their traffic never leaves them. */
export interface Nodes {
  a: { ns: string; net: string; ip: string };
  b: { ns: string; net: string; ip: string };
  remove(): void;
}

export function twoNodes(label: string): Nodes {
  podman();
  const tag = `${label}-${process.pid}`;
  const a = { ns: `${PREFIX}a-${tag}`, ip: "10.213.0.1" };
  const b = { ns: `${PREFIX}b-${tag}`, ip: "10.213.0.2" };
  const ip = (...args: string[]) => {
    const r = spawnSync("ip", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ip ${args.join(" ")} failed: ${lastLine(r.stderr)}`);
  };
  const remove = () => {
    spawnSync("ip", ["netns", "delete", a.ns]);
    spawnSync("ip", ["netns", "delete", b.ns]);
  };
  try {
    ip("netns", "add", a.ns);
    ip("netns", "add", b.ns);
    // Created inside A, one end moved to B: no interface ever appears in the host's namespace.
    ip("-n", a.ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
    ip("-n", a.ns, "link", "set", "eth1", "netns", b.ns);
    ip("-n", b.ns, "link", "set", "eth1", "name", "eth0");
    for (const n of [a, b]) {
      ip("-n", n.ns, "addr", "add", `${n.ip}/24`, "dev", "eth0");
      ip("-n", n.ns, "link", "set", "eth0", "up");
      ip("-n", n.ns, "link", "set", "lo", "up");
    }
  } catch (e) {
    remove();
    throw e;
  }
  return { a: { ...a, net: `ns:/run/netns/${a.ns}` }, b: { ...b, net: `ns:/run/netns/${b.ns}` }, remove };
}

/** A node's host paths RKE binds (/etc/kubernetes, /opt/rke, /var/lib/etcd), under a temp dir. */
export interface Node {
  root: string;
  /** host side of `/etc/kubernetes` */
  kube: string;
  /** host side of `/opt/rke` (snapshots in opt/rke/etcd-snapshots) */
  optRke: string;
  snapshots: string;
  /** host side of `/var/lib/rancher/etcd` */
  etcdData: string;
}

/** A node's directories with RKE's certificate files for it (kube-ca, kube-node) from `pki`. */
export function makeNode(label: string, pki: { ca: string; node: { cert: string; key: string } }): Node {
  const root = join(workDir(), `node-${label}`);
  const n: Node = {
    root,
    kube: join(root, "etc/kubernetes"),
    optRke: join(root, "opt/rke"),
    snapshots: join(root, "opt/rke/etcd-snapshots"),
    etcdData: join(root, "var/lib/etcd"),
  };
  for (const d of [join(n.kube, "ssl"), n.snapshots, n.etcdData]) mkdirSync(d, { recursive: true });
  const copy = (from: string, to: string) => writeFileSync(join(n.kube, "ssl", to), readFileSync(from), { mode: 0o600 });
  copy(pki.ca, "kube-ca.pem");
  copy(pki.node.cert, "kube-node.pem");
  copy(pki.node.key, "kube-node-key.pem");
  return n;
}

/** RKE's binds for the etcd-backup containers (`/opt/rke/etcd-snapshots/:/backup`, `/etc/kubernetes`). */
export const backupBinds = (n: Node) => [`${n.snapshots}/:/backup`, `${n.kube}:/etc/kubernetes`];

/** RKE's `/opt/rke-tools/rke-etcd-backup etcd-backup <sub>` with the three certificate flags of save/serve. */
export const CERT_FLAGS = ["--cacert", "/etc/kubernetes/ssl/kube-ca.pem", "--cert", "/etc/kubernetes/ssl/kube-node.pem", "--key", "/etc/kubernetes/ssl/kube-node-key.pem"];
export const BACKUP = ["/opt/rke-tools/rke-etcd-backup", "etcd-backup"];

/**
 * Issues RKE's kube-etcd-<ip> certificate (SAN IP:<ip>, server and client) into the node's
 * /etc/kubernetes/ssl, signed by the test CA; returns its container paths.
 */
export function issueEtcdCert(n: Node, pki: { ca: string; caKey: string }, ip: string): { cert: string; key: string } {
  const base = `kube-etcd-${ip.replaceAll(".", "-")}`;
  const dir = join(n.kube, "ssl");
  const ext = join(workDir(), `${base}-${Date.now()}.ext`);
  writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:${ip}\n`);
  const key = join(dir, `${base}-key.pem`);
  const csr = join(workDir(), `${base}.csr`);
  const run = (args: string[]) => {
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} for ${base} failed: ${lastLine(r.stderr)}`);
  };
  run(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-subj", "/CN=kube-etcd", "-out", csr]);
  run([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    pki.ca,
    "-CAkey",
    pki.caKey,
    "-CAcreateserial",
    "-CAserial",
    join(workDir(), "ca.srl"),
    "-days",
    "2",
    "-sha256",
    "-extfile",
    ext,
    "-out",
    join(dir, `${base}.pem`),
  ]);
  chmodSync(key, 0o600);
  return { cert: `/etc/kubernetes/ssl/${base}.pem`, key: `/etc/kubernetes/ssl/${base}-key.pem` };
}

/**
 * etcd with client-certificate TLS in a container of the test base (Debian's etcd binary bound in:
 * the test base carries only etcdctl). `listen` is <ip>:<port> for clients; the peer port is port+1.
 */
export async function startEtcdContainer(o: {
  name: string;
  base: string;
  network: string;
  node: Node;
  ip: string;
  port: number;
  cert: { cert: string; key: string };
  extra?: string[];
  nodeLabel?: string;
}): Promise<string> {
  const client = `https://${o.ip}:${o.port}`;
  const peer = `https://${o.ip}:${o.port + 1}`;
  const args = o.extra ?? ["--name", "etcd-node", "--initial-cluster", `etcd-node=${peer}`, "--initial-advertise-peer-urls", peer, "--initial-cluster-token", "etcd-cluster-1"];
  const name = create(
    {
      name: o.name,
      image: o.base,
      entrypoint: ["/usr/local/bin/etcd"],
      cmd: [
        "--data-dir=/var/lib/rancher/etcd/",
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        "--client-cert-auth",
        "--trusted-ca-file=/etc/kubernetes/ssl/kube-ca.pem",
        `--cert-file=${o.cert.cert}`,
        `--key-file=${o.cert.key}`,
        "--peer-client-cert-auth",
        "--peer-trusted-ca-file=/etc/kubernetes/ssl/kube-ca.pem",
        `--peer-cert-file=${o.cert.cert}`,
        `--peer-key-file=${o.cert.key}`,
        "--log-level=error",
        ...args,
      ],
      binds: ["/usr/bin/etcd:/usr/local/bin/etcd:ro", `${o.node.etcdData}:/var/lib/rancher/etcd`, `${o.node.kube}:/etc/kubernetes`],
      network: o.network,
      restart: "no",
    },
    o.nodeLabel,
  );
  start(name);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = etcdctl(name, `${o.ip}:${o.port}`, o.cert, ["endpoint", "health", "--command-timeout=2s"]);
    if (r.code === 0) return name;
    const s = inspect(name);
    if (!s.Running || Date.now() > deadline) {
      throw new Error(`container ${name} (etcd) did not become healthy (status ${s.Status}): ${lastLine(logs(name).stderr) || lastLine(r.stderr)}`);
    }
    await Bun.sleep(200);
  }
}

/** etcdctl (the test base's) inside a running container, with the node's certificate. */
export function etcdctl(container: string, endpoint: string, cert: { cert: string; key: string }, args: string[]): Exited {
  return exec(container, [
    "env",
    "ETCDCTL_API=3",
    "etcdctl",
    `--endpoints=${endpoint}`,
    "--cacert=/etc/kubernetes/ssl/kube-ca.pem",
    `--cert=${cert.cert}`,
    `--key=${cert.key}`,
    ...args,
  ]);
}
