/**
 * The self-contained executable runs in a root that holds only the image tree and /proc: x64 in a
 * chroot (as root, private mount namespace), arm64 under qemu-user with the tree as its root.
 * Each run is compared with the plain build run on this machine under the same name.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryPath, ROOT } from "../../compile/build.ts";
import { EXECUTABLE } from "../../compile/rootfs.ts";
import { makeSelfContained } from "../../compile/self-contained.ts";
import { describeWith, isRoot } from "../support/components.ts";
import { makePki } from "../support/pki.ts";
import { glibcFor, releaseTrees, tools, tree } from "./fixture.ts";

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], env: Record<string, string>, cwd?: string): Promise<Ran> {
  const p = Bun.spawn(argv, { env, cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 60_000 });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** `argv` inside `root`: a private mount namespace with a fresh /proc at <root>/proc, then chroot. */
function inChroot(root: string, argv: string[], env: Record<string, string>): Promise<Ran> {
  return run(["unshare", "--mount", "--mount-proc", `--root=${root}`, "--wd=/", ...argv], env);
}

/** The plain build (host loader and libc) under the tool name `name`. */
function onHost(name: string, args: string[], env: Record<string, string>, cwd?: string): Promise<Ran> {
  return run([join(binaryPath("x64"), "..", name), ...args], env, cwd);
}

const ENV = { PATH: "/usr/local/bin:/usr/bin:/bin" };

afterAll(releaseTrees);

describeWith([isRoot, tools.patchelf, tools.unshare, tools.openssl, glibcFor("x64")], "x64 executable in a chroot of the image tree", () => {
  let root: string;
  beforeAll(() => {
    // A copy per run (hard links: cheap), so what a tool writes stays out of the shared tree.
    root = mkdtempSync(join(tmpdir(), "rke-chroot-"));
    Bun.spawnSync(["cp", "-al", `${tree("x64").root}/.`, root]);
    mkdirSync(join(root, "proc"));
  }, 180_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("the tree alone is the whole root: only the image's paths and the /proc mount point", () => {
    // (runs first: later tests write below /tmp in this copy)
    expect(readdirSync(root).sort()).toEqual(["opt", "proc", "usr"]);
  }, 60_000);

  test("control: the plain build cannot start there (its loader is not in the tree)", async () => {
    copyFileSync(binaryPath("x64"), join(root, "plain"));
    const r = await inChroot(root, ["/plain", "--version"], ENV);
    rmSync(join(root, "plain"));
    expect(r.code).toBe(127);
    expect(r.stderr).toContain("No such file or directory");
    expect(r.stdout).toBe("");
  }, 60_000);

  test("rke-etcd-backup --version and etcd-backup save --help: the app, not the bun CLI, same as the plain build", async () => {
    for (const args of [["--version"], ["etcd-backup", "save", "--help"]]) {
      const inside = await inChroot(root, [EXECUTABLE, ...args], ENV);
      const host = await onHost("rke-etcd-backup", args, ENV);
      expect(inside).toEqual(host);
      expect(inside.code).toBe(0);
    }
    const v = await inChroot(root, [EXECUTABLE, "--version"], ENV);
    expect(v.stdout).toMatch(/^rke-etcd-backup version \S+ \(commit ([0-9a-f]+|unknown)\)\n$/);
  }, 60_000);

  test("/opt/rke-tools/cloud-provider.sh (relative link) --help: the tool's own help, as the plain build", async () => {
    const inside = await inChroot(root, ["/opt/rke-tools/cloud-provider.sh", "--help"], ENV);
    expect(inside).toEqual(await onHost("cloud-provider.sh", ["--help"], ENV));
    expect(inside.code).toBe(0);
    expect(inside.stdout).toStartWith("Usage: cloud-provider.sh");
  }, 60_000);

  test("/usr/bin/cert-deployer (absolute link) deploys a certificate exactly as the plain build does", async () => {
    // A relative CRTS_DEPLOY_PATH keeps both runs' writes inside their own temp directory.
    const hostDir = mkdtempSync(join(tmpdir(), "rke-crts-"));
    try {
      const env = { ...ENV, CRTS_DEPLOY_PATH: "tmp/crts", KUBE_CA: readFileSync(makePki().ca, "utf8") };
      const inside = await inChroot(root, ["/usr/bin/cert-deployer"], env);
      const host = await onHost("cert-deployer", [], env, hostDir);
      const norm = (s: string) => s.replace(/time="[^"]*"/g, 'time=""');
      expect({ code: inside.code, stdout: norm(inside.stdout), stderr: norm(inside.stderr) }).toEqual({ code: host.code, stdout: norm(host.stdout), stderr: norm(host.stderr) });
      expect(inside.code).toBe(0);
      const written = join(root, "tmp/crts/kube-ca.pem");
      expect(readFileSync(written, "utf8")).toBe(readFileSync(join(hostDir, "tmp/crts/kube-ca.pem"), "utf8"));
      expect(statSync(written).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(hostDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describeWith([isRoot, tools.patchelf, tools.unshare, glibcFor("x64")], "exec from the patched executable in a bare root (bun:ffi, our libc)", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "rke-chroot-ffi-"));
    Bun.spawnSync(["cp", "-al", `${tree("x64").root}/.`, root]);
    mkdirSync(join(root, "proc"));
    // A probe compiled and patched like the executable, added beside the tree (not part of the image).
    const plain = join(root, "exec-probe.plain");
    const built = Bun.spawnSync([process.execPath, "build", "--compile", "--target=bun-linux-x64", "--outfile", plain, join(ROOT, "test/package/fixtures/exec-probe.ts")], {
      cwd: ROOT,
    });
    expect(built.exitCode).toBe(0);
    makeSelfContained(plain, join(root, "exec-probe"), "x64");
    rmSync(plain);
    // A stand-in for hyperkube's component binary: our executable under a name that is no tool.
    mkdirSync(join(root, "usr/local/bin"), { recursive: true });
    symlinkSync(EXECUTABLE, join(root, "usr/local/bin/kube-scheduler"));
  }, 180_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('dlopen("libc.so.6") finds our libc and execve replaces the process (what entrypoint.sh does in hyperkube)', async () => {
    const r = await inChroot(root, ["/exec-probe", EXECUTABLE, "--version"], ENV);
    expect(r.stderr).toMatch(/^exec-probe pid \d+\n$/);
    expect(r.stdout).toMatch(/^rke-etcd-backup version /);
    expect(r.code).toBe(0);
  }, 60_000);

  test("entrypoint.sh kube-scheduler …, as RKE starts it in hyperkube: plans, then execs the component found on PATH", async () => {
    const r = await inChroot(root, ["/opt/rke-tools/entrypoint.sh", "kube-scheduler", "--version"], ENV);
    expect(r.stdout).toMatch(/^rke-tools \S+ \(commit ([0-9a-f]+|unknown)\)\n$/); // what the stand-in prints under a non-tool name
    expect(r.code).toBe(0);
  }, 60_000);
});

describeWith([tools.patchelf, tools.qemu, glibcFor("arm64")], "arm64 executable under qemu-user, the tree as its root", () => {
  beforeAll(() => void tree("arm64"), 180_000);
  test("rke-etcd-backup --version and etcd-backup save --help match the x64 plain build", async () => {
    const { root } = tree("arm64");
    for (const args of [["--version"], ["etcd-backup", "save", "--help"]]) {
      // -L: the guest's absolute paths (interpreter, RPATH) are looked up under the tree first.
      const inside = await run(["qemu-aarch64", "-L", root, "-0", EXECUTABLE, join(root, EXECUTABLE), ...args], ENV);
      const host = await onHost("rke-etcd-backup", args, ENV);
      expect(inside).toEqual(host);
      expect(inside.code).toBe(0);
    }
  }, 120_000);
});
