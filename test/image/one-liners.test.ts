/**
 * RKE's utility one-liners in the image (docs/contract.md §a.5; rancher/rke cluster/file-deployer.go,
 * cluster/network.go deployListener/checkPlaneTCPPortsFromHost, hosts/hosts.go DoRunLogCleaner,
 * pki/pki.go SaveBackupBundleOnHost) and the weave DaemonSet's container layout (KDM's weave template:
 * host /opt bound at /opt, the image's /opt/rke-tools volume over it).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeWith } from "../support/components.ts";
import { cname, create, engineInit, exec, imageComponents, type Nodes, remove, runOnce, start, testImages, twoNodes, until, workDir } from "./support.ts";

describeWith(imageComponents, "image: RKE's one-liners and the weave layout", () => {
  let img: ReturnType<typeof testImages>;
  let net: Nodes;
  let root: string;
  const made: string[] = [];

  beforeAll(() => {
    img = testImages();
    net = twoNodes("oneliners");
    root = join(workDir(), "oneliners");
    mkdirSync(join(root, "etc/kubernetes"), { recursive: true });
  }, 900_000);

  afterAll(() => {
    remove(...made);
    net?.remove();
  });

  const once = (spec: Parameters<typeof runOnce>[0], label = "") => {
    made.push(cname(spec.name, label));
    return runOnce(spec, label);
  };

  test("file-deployer: bash's `echo -e` writes the contents RKE passes, mode 600; empty contents remove the file", () => {
    const target = "/etc/kubernetes/audit-policy.yaml";
    const contents = 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n# tab\\there, "quotes" and $dollar\n';
    const cmd = ["sh", "-c", `t=$(mktemp); echo -e "$FILE_DEPLOY" > $t && mv $t ${target} && chmod 600 ${target}`];
    const r = once({ name: "file-deployer", image: img.image, cmd, env: [`FILE_DEPLOY=${contents}`], binds: [`${root}/etc/kubernetes:/etc/kubernetes`], network: "none" });
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    const host = join(root, "etc/kubernetes/audit-policy.yaml");
    // bash's echo -e: `\t` becomes a tab, and echo adds one newline.
    expect(readFileSync(host, "utf8")).toBe(`${contents.replace("\\t", "\t")}\n`);
    expect(statSync(host).mode & 0o777).toBe(0o600);
    const rm = once({ name: "file-deployer", image: img.image, cmd: ["sh", "-c", `rm -f ${target}`], binds: [`${root}/etc/kubernetes:/etc/kubernetes`], network: "none" }, "rm");
    expect(rm.code).toBe(0);
    expect(existsSync(host)).toBe(false);
  }, 120_000);

  test("port listener (`nc -kl -p 1337 -e echo`) on node B and the port checker on node A: stderr only for the closed port", async () => {
    const listener = create({ name: "rke-etcd-port-listener", image: img.image, cmd: ["nc", "-kl", "-p", "1337", "-e", "echo"], network: net.b.net }, "b");
    made.push(listener);
    start(listener);
    const check = (ports: string, label: string) =>
      once(
        {
          name: "rke-port-checker",
          image: img.image,
          env: [`HOSTS=${net.b.ip}`, `PORTS=${ports}`],
          cmd: [
            "sh",
            "-c",
            'for host in $HOSTS; do for port in $PORTS ; do echo "Checking host ${host} on port ${port}" >&1 & nc -w 5 -z $host $port > /dev/null || echo "${host}:${port}" >&2 & done; wait; done',
          ],
          network: net.a.net,
        },
        label,
      );
    await until(listener, "listening on 1337", (s) => s.Running && check("1337", `probe${Date.now()}`).stderr === "", 30_000);
    const r = check("1337 1338", "a");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`${net.b.ip}:1338\n`); // RKE: any stderr line is a failed port
    expect(r.stdout.split("\n").filter(Boolean).sort()).toEqual([`Checking host ${net.b.ip} on port 1337`, `Checking host ${net.b.ip} on port 1338`]);
  }, 120_000);

  test("rke-log-cleaner: `find … -type l ! -exec test -e {} \\; -print -delete` removes only the dangling log links", () => {
    const varLib = join(root, "var/lib");
    const logs = join(varLib, "rancher/rke/log");
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(varLib, "present.log"), "x");
    symlinkSync("/var/lib/present.log", join(logs, "kubelet_abc.log"));
    symlinkSync("/var/lib/gone.log", join(logs, "etcd_def.log"));
    const r = once({
      name: "rke-log-cleaner",
      image: img.image,
      tty: true,
      privileged: true,
      cmd: ["sh", "-c", "find /var/lib/rancher/rke/log -type l ! -exec test -e {} \\; -print -delete"],
      binds: [`${varLib}:/var/lib`],
      network: "none",
    });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("/var/lib/rancher/rke/log/etcd_def.log");
    expect(readdirSync(logs)).toEqual(["kubelet_abc.log"]);
  }, 120_000);

  test("rke-bundle-cert: `tar czvf /backup/pki.bundle.tar.gz /etc/kubernetes/.tmp/` makes a bundle GNU tar reads back", () => {
    const kube = join(root, "bundle/etc/kubernetes");
    const backup = join(root, "bundle/backup");
    mkdirSync(join(kube, ".tmp"), { recursive: true });
    mkdirSync(backup, { recursive: true });
    writeFileSync(join(kube, ".tmp/kube-ca.pem"), "ca\n");
    const sh = 'if [ -d /etc/kubernetes/.tmp/ ] && [ "$(ls -A /etc/kubernetes/.tmp/)" ]; then tar czvf /backup/pki.bundle.tar.gz /etc/kubernetes/.tmp/;fi';
    const r = once({
      name: "rke-bundle-cert",
      image: img.image,
      privileged: true,
      cmd: ["sh", "-c", sh],
      binds: [`${kube}:/etc/kubernetes`, `${backup}:/backup`],
      network: "none",
    });
    expect(r.code).toBe(0);
    const list = spawnSync("tar", ["tzf", join(backup, "pki.bundle.tar.gz")], { encoding: "utf8" });
    expect(list.stdout.split("\n").filter(Boolean)).toEqual(["etc/kubernetes/.tmp/", "etc/kubernetes/.tmp/kube-ca.pem"]);
  }, 120_000);

  test("weave-plugins: host /opt bound at /opt, the image's volume over /opt/rke-tools; the plugins land in the host's /opt/cni/bin and it keeps running", async () => {
    const opt = join(root, "host-opt");
    mkdirSync(opt, { recursive: true });
    // Kubernetes mounts the image's volumes after the pod's: with podman the anonymous volume is mounted over the bind.
    const name = create({
      name: "weave-plugins",
      image: img.image,
      entrypoint: ["/opt/rke-tools/weave-plugins-cni.sh"],
      binds: [`${opt}:/opt`],
      privileged: true,
      network: "none",
    });
    made.push(name);
    engineInit(name);
    start(name);
    await until(name, "running with the plugins moved", (s) => s.Running && existsSync(join(opt, "cni/bin/portmap")), 60_000);
    expect(readdirSync(join(opt, "cni/bin")).sort()).toEqual(["loopback", "portmap"]);
    expect(statSync(join(opt, "cni/bin/portmap")).mode & 0o777).toBe(0o755);
    expect(
      exec(name, ["ls", "/tmp"])
        .stdout.split("\n")
        .filter((f) => f === "loopback" || f === "portmap"),
    ).toEqual([]);
    expect(existsSync(join(opt, "rke-tools"))).toBe(true); // the volume's mount point, its content not copied to the host
    expect(readdirSync(join(opt, "rke-tools"))).toEqual([]);
  }, 120_000);
});
