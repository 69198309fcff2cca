/**
 * cert-deployer against the original's bash logic (original.sh, run with bash in the test): the
 * same env into two folders, then names, bytes, modes, owners and ACLs compared.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lastLine, runTool } from "../support/bin.ts";
import { describeWith, hasCommand, isRoot } from "../support/components.ts";
import { makePki } from "../support/pki.ts";

const ORIGINAL = join(import.meta.dir, "original.sh");
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

let work: string;
let env: Record<string, string>;

function kubeconfig(user: string): string {
  // As RKE renders them (pki.GetKubeConfigX509WithData), with the trailing blank lines it leaves.
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    api-version: v1
    certificate-authority: /etc/kubernetes/ssl/kube-ca.pem
    server: "https://127.0.0.1:6443"
  name: "local"
contexts:
- context:
    cluster: "local"
    user: "${user}-local"
  name: "local"
current-context: "local"
users:
- name: "${user}-local"
  user:
    client-certificate: /etc/kubernetes/ssl/${user}.pem
    client-key: /etc/kubernetes/ssl/${user}-key.pem

\n`;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "cert-deployer-"));
  const pki = makePki();
  const cert = pki.read(pki.node.cert);
  const key = pki.read(pki.node.key);
  // What RKE passes to an etcd + worker node (pki/deploy.go): one variable per PEM, kubeconfigs beside.
  env = {
    KUBE_CA: pki.read(pki.ca),
    KUBE_NODE: cert,
    KUBE_NODE_KEY: key,
    KUBE_PROXY: cert + "\n\n",
    KUBE_PROXY_KEY: key,
    KUBE_ETCD_10_0_0_1: pki.read(pki.server.cert),
    KUBE_ETCD_10_0_0_1_KEY: pki.read(pki.server.key),
    KUBE_KUBELET_10_0_0_1: cert.trimEnd(),
    KUBE_KUBELET_10_0_0_1_KEY: key,
    KUBE_APISERVER_PROXY_CLIENT: pki.read(pki.client.cert),
    KUBE_APISERVER_PROXY_CLIENT_KEY: pki.read(pki.client.key),
    KUBECFG_KUBE_NODE: kubeconfig("kube-node"),
    KUBECFG_KUBE_PROXY: kubeconfig("kube-proxy"),
  };
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Entry {
  name: string;
  mode: string;
  owner: string;
  content: string;
  acl: string;
}

/** Everything observable about a deployed folder. */
function snapshot(dir: string): { dir: { mode: string; acl: string }; files: Entry[] } {
  const acl = (p: string) => spawnSync("getfacl", ["-c", "-p", p], { encoding: "utf8" }).stdout;
  const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8);
  const files = readdirSync(dir)
    .sort()
    .map((name) => {
      const p = join(dir, name);
      const st = statSync(p);
      return { name, mode: mode(p), owner: `${st.uid}:${st.gid}`, content: readFileSync(p, "utf8"), acl: acl(p) };
    });
  return { dir: { mode: mode(dir), acl: acl(dir) }, files };
}

function runOriginal(dir: string, extra: Record<string, string> = {}) {
  const r = spawnSync("bash", [ORIGINAL], { env: { PATH, CRTS_DEPLOY_PATH: dir, ...env, ...extra }, encoding: "utf8" });
  expect(r.status).toBe(0);
}

async function runOurs(dir: string, extra: Record<string, string> = {}, base: Record<string, string> = env) {
  return runTool("cert-deployer", [], { env: { PATH, CRTS_DEPLOY_PATH: dir, ...base, ...extra } });
}

function freshDirs(name: string): [string, string] {
  const a = join(work, `${name}-original`);
  const b = join(work, `${name}-ours`);
  return [a, b];
}

describeWith([hasCommand("bash", "bash"), hasCommand("getfacl", "Debian acl")], "cert-deployer = the original's files", () => {
  test("a realistic env set: same names, bytes and modes; nothing secret in the output", async () => {
    const [orig, ours] = freshDirs("fresh");
    runOriginal(orig);
    const r = await runOurs(ours);
    expect(r.code).toBe(0);
    expect(snapshot(ours)).toEqual(snapshot(orig));
    const names = snapshot(ours).files.map((f) => `${f.name} ${f.mode}`);
    expect(names).toContain("kube-etcd-10-0-0-1-key.pem 600");
    expect(names).toContain("kubecfg-kube-node.yaml 600");
    expect(snapshot(ours).dir.mode).toBe("755");
    expect(readFileSync(join(ours, "kube-proxy.pem"), "utf8")).toBe(env.KUBE_PROXY!.replace(/\n+$/, "") + "\n");
    expect(readFileSync(join(ours, "kube-kubelet-10-0-0-1.pem"), "utf8")).toBe(env.KUBE_KUBELET_10_0_0_1 + "\n");
    for (const v of [env.KUBE_NODE_KEY!, env.KUBE_ETCD_10_0_0_1_KEY!]) {
      const line = v.split("\n")[1]!;
      expect(r.stderr).not.toContain(line);
    }
    expect(lastLine(r.stderr)).toContain('msg="Deployed to ');
  });

  test("existing files: certificates kept without FORCE_DEPLOY, replaced with it; kubeconfigs never", async () => {
    for (const force of ["", "true"]) {
      const [orig, ours] = freshDirs(`existing-${force || "noforce"}`);
      for (const d of [orig, ours]) {
        mkdirSync(d, { recursive: true });
        writeFileSync(join(d, "kube-node.pem"), "old certificate\n", { mode: 0o644 });
        writeFileSync(join(d, "kubecfg-kube-node.yaml"), "old kubeconfig\n", { mode: 0o600 });
      }
      runOriginal(orig, { FORCE_DEPLOY: force });
      const r = await runOurs(ours, { FORCE_DEPLOY: force });
      expect(r.code).toBe(0);
      expect(snapshot(ours)).toEqual(snapshot(orig));
      expect(readFileSync(join(ours, "kube-node.pem"), "utf8")).toBe(force ? env.KUBE_NODE! : "old certificate\n");
      expect(readFileSync(join(ours, "kubecfg-kube-node.yaml"), "utf8")).toBe("old kubeconfig\n");
    }
  });
});

describeWith([isRoot, hasCommand("bash", "bash"), hasCommand("setfacl", "Debian acl"), hasCommand("getfacl", "Debian acl")], "cert-deployer with ETCD_UID/ETCD_GID", () => {
  test("ACL mask, etcd ACL entries removed, kube-etcd files chowned, kube-ca 0644 — as the original", async () => {
    const ids = { ETCD_UID: "52034", ETCD_GID: "52035" };
    const [orig, ours] = freshDirs("etcd-ids");
    for (const d of [orig, ours]) {
      mkdirSync(d, { recursive: true });
      // A previous deployment: an old etcd file owned by someone else, ACL entries for the etcd ids.
      writeFileSync(join(d, "kube-etcd-10-0-0-9.pem"), env.KUBE_ETCD_10_0_0_1!, { mode: 0o600 });
      chownSync(join(d, "kube-etcd-10-0-0-9.pem"), 1, 1);
      writeFileSync(join(d, "kube-ca.pem"), "stale\n", { mode: 0o600 });
      spawnSync("setfacl", ["-m", "u:52034:r,g:52035:r,u:4242:r", join(d, "kube-ca.pem")]);
      spawnSync("setfacl", ["-m", "u:52034:rx", d]);
    }
    runOriginal(orig, { ...ids, FORCE_DEPLOY: "true" });
    const r = await runOurs(ours, { ...ids, FORCE_DEPLOY: "true" });
    expect(r.code).toBe(0);
    const snap = snapshot(ours);
    expect(snap).toEqual(snapshot(orig));
    const byName = Object.fromEntries(snap.files.map((f) => [f.name, f]));
    expect(byName["kube-etcd-10-0-0-1.pem"]!.owner).toBe("52034:52035");
    expect(byName["kube-etcd-10-0-0-1-key.pem"]!.owner).toBe("52034:52035");
    expect(byName["kube-etcd-10-0-0-9.pem"]!.owner).toBe("52034:52035");
    expect(byName["kube-node.pem"]!.owner).toBe("0:0");
    expect(byName["kube-ca.pem"]!.mode).toBe("644");
    expect(snap.dir.acl).not.toContain("user:52034");
  });

  test("a replaced certificate keeps its owner and ACL entries (masked by chmod 600), as an in-place rewrite did", async () => {
    const [orig, ours] = freshDirs("replace-owner");
    for (const d of [orig, ours]) {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, "kube-node.pem"), "old\n", { mode: 0o640 });
      chownSync(join(d, "kube-node.pem"), 4243, 4244);
      spawnSync("setfacl", ["-m", "u:4242:r", join(d, "kube-node.pem")]);
    }
    runOriginal(orig, { FORCE_DEPLOY: "true" });
    const r = await runOurs(ours, { FORCE_DEPLOY: "true" });
    expect(r.code).toBe(0);
    expect(snapshot(ours)).toEqual(snapshot(orig));
    const node = snapshot(ours).files.find((f) => f.name === "kube-node.pem")!;
    expect(node.owner).toBe("4243:4244");
    expect(node.acl).toContain("user:4242:r--\t#effective:---");
  });

  test("symbolic links out of the folder are not followed by chown, chmod or setfacl (issue 19, item 16)", async () => {
    const dir = join(work, "symlinks");
    const outside = join(work, "symlinks-outside");
    mkdirSync(dir, { recursive: true });
    mkdirSync(outside, { recursive: true });
    for (const f of ["shadow", "ca"]) writeFileSync(join(outside, f), "secret\n", { mode: 0o600 });
    symlinkSync(join(outside, "shadow"), join(dir, "kube-etcd-10-0-0-7.pem"));
    symlinkSync(join(outside, "ca"), join(dir, "old-kube-ca.pem"));
    const r = await runOurs(dir, { ETCD_UID: "52034", ETCD_GID: "52035" });
    expect(r.code).toBe(0);
    for (const f of ["shadow", "ca"]) {
      const st = statSync(join(outside, f));
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, 0, 0o600]); // the old code chowned shadow to 52034 and made ca 0644
      expect(spawnSync("getfacl", ["-cp", join(outside, f)], { encoding: "utf8" }).stdout).not.toContain("mask");
    }
    expect(r.stderr).toContain(`level=warning msg="${dir}/kube-etcd-10-0-0-7.pem is a symbolic link: not followed, owner and mode left as they are"`);
    expect(statSync(join(dir, "kube-etcd-10-0-0-1.pem")).uid).toBe(52034); // the real ones still done
  });

  test("without setfacl: it says so, and still sets owners and modes", async () => {
    const dir = join(work, "no-setfacl");
    const bin = join(work, "bin-without-setfacl");
    mkdirSync(bin, { recursive: true });
    const r = await runOurs(dir, { PATH: bin, ETCD_UID: "52034", ETCD_GID: "52035" });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('level=warning msg="setfacl is not installed: ACL mask and etcd ACL entries left as they are (install the acl package)"');
    expect(statSync(join(dir, "kube-etcd-10-0-0-1-key.pem")).uid).toBe(52034);
    expect(statSync(join(dir, "kube-ca.pem")).mode & 0o777).toBe(0o644);
  });
});

describe("cert-deployer refusals and names the original could not handle", () => {
  test("a value that is not PEM is reported, the rest still deployed, exit non-zero", async () => {
    const dir = join(work, "bad-pem");
    const r = await runOurs(dir, {}, { KUBE_CA: env.KUBE_CA!, KUBE_NODE: "this is not a certificate", KUBE_NODE_KEY: "", KUBECFG_KUBE_NODE: "plain yaml: true" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('level=error msg="KUBE_NODE_KEY is not PEM (kube-node-key.pem not written)"');
    expect(lastLine(r.stderr)).toMatch(/level=fatal msg="Cannot deploy every certificate: KUBE_NODE is not PEM \(kube-node.pem not written\) \(and 1 more above\)"$/);
    expect(readdirSync(dir).sort()).toEqual(["kube-ca.pem", "kubecfg-kube-node.yaml"]);
  });

  test("temporary files left by a killed run are removed", async () => {
    const dir = join(work, "stale");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, ".kube-node.pem.rke-tmp-0123456789ab"), "half");
    const r = await runOurs(dir, {}, { KUBE_CA: env.KUBE_CA! });
    expect(r.code).toBe(0);
    expect(readdirSync(dir)).toEqual(["kube-ca.pem"]);
  });

  test("IPv6 node names (KUBE_ETCD_FD00::1) are deployed", async () => {
    const dir = join(work, "ipv6");
    const r = await runOurs(dir, {}, { "KUBE_ETCD_FD00::1": env.KUBE_ETCD_10_0_0_1!, "KUBE_ETCD_FD00::1_KEY": env.KUBE_ETCD_10_0_0_1_KEY! });
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(["kube-etcd-fd00::1-key.pem", "kube-etcd-fd00::1.pem"]);
    expect(readFileSync(join(dir, "kube-etcd-fd00::1.pem"), "utf8")).toBe(env.KUBE_ETCD_10_0_0_1!);
  });

  test("only names that start with KUBE_ / KUBECFG_ (the original also took FOO_KUBE_X)", async () => {
    const dir = join(work, "prefix");
    const r = await runOurs(dir, {}, { FOO_KUBE_X: env.KUBE_CA!, KUBERNETES_SERVICE_HOST: "10.43.0.1", KUBE_CA: env.KUBE_CA! });
    expect(r.code).toBe(0);
    expect(readdirSync(dir)).toEqual(["kube-ca.pem"]);
  });

  test("non-numeric ETCD_UID, or -1 (RKE only checks non-zero): every certificate written, then one clear line (issue 19, item 8)", async () => {
    const reference = join(work, "minus-one-reference");
    expect((await runOurs(reference)).code).toBe(0);
    for (const [label, uid] of [
      ["bad-uid", "etcd"],
      ["minus-one", "-1"],
    ] as const) {
      const dir = join(work, label);
      const r = await runOurs(dir, { ETCD_UID: uid, ETCD_GID: "52035" });
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toContain(`msg="Cannot deploy every certificate: ETCD_UID=${uid} is not a numeric id: etcd's ownership of its certificates left as it is"`);
      expect(readdirSync(dir).sort()).toEqual(readdirSync(reference).sort()); // the old code wrote none
      for (const f of readdirSync(reference)) expect(readFileSync(join(dir, f)).equals(readFileSync(join(reference, f)))).toBe(true);
    }
  });
});
