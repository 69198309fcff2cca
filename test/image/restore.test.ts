/**
 * RKE's restore across two etcd nodes, each in a network namespace of its own joined by a veth pair
 * (docs/contract.md §a.4; rancher/rke services/etcd.go StartBackupServer,
 * DownloadEtcdSnapshotFromBackupServer, GetEtcdSnapshotChecksum, RestoreEtcdSnapshot,
 * RunGetStateFileFromSnapshot): serve on node A (:2379, with A's etcd stopped), the peer download on
 * node B under restart on-failure, equal checksums, `etcdctl snapshot restore` from the image on both,
 * then a fresh two-member etcd on the restored data holds the keys written before the snapshot.
 * Also etcd-extract-statefile and `podman cp` of /tmp/cluster.rkestate out of the stopped container.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { engineRun } from "../../compile/engine.ts";
import { lastLine } from "../support/bin.ts";
import { describeWith } from "../support/components.ts";
import { etcdComponents } from "../support/etcd.ts";
import { makePki, type Pki } from "../support/pki.ts";
import {
  BACKUP,
  backupBinds,
  cname,
  CERT_FLAGS,
  create,
  etcdctl,
  imageComponents,
  inspect,
  issueEtcdCert,
  makeNode,
  type Node,
  type Nodes,
  podman,
  remove,
  runOnce,
  start,
  startEtcdContainer,
  testImages,
  twoNodes,
  until,
  workDir,
} from "./support.ts";

const SNAP = "c-abcde-ml-xyz12_2026-12-05T12:00:00Z"; // a Rancher manual snapshot name (':' included)
const STATE = JSON.stringify({ desiredState: { rkeConfig: { nodes: [{ address: "10.213.0.1" }] } }, currentState: {} });

describeWith([...imageComponents, ...etcdComponents], "image: restore across two nodes as RKE runs it", () => {
  let img: ReturnType<typeof testImages>;
  let pki: Pki;
  let net: Nodes;
  let a: Node;
  let b: Node;
  const certs: Record<"a" | "b", { cert: string; key: string }> = {} as never;
  const made: string[] = [];

  beforeAll(async () => {
    img = testImages();
    pki = makePki();
    net = twoNodes("restore");
    a = makeNode("a", pki);
    b = makeNode("b", pki);
    certs.a = issueEtcdCert(a, pki, net.a.ip);
    certs.b = issueEtcdCert(b, pki, net.b.ip);
    // Node A: etcd with 20 keys, then RKE's one-time snapshot with the state file beside it.
    const etcd = await startEtcdContainer({ name: "etcd", base: img.base, network: net.a.net, node: a, ip: net.a.ip, port: 2379, cert: certs.a, nodeLabel: "a" });
    made.push(etcd);
    for (let i = 0; i < 20; i++) expect(etcdctl(etcd, `${net.a.ip}:2379`, certs.a, ["put", `/registry/k${i}`, `v${i}`]).code).toBe(0);
    writeFileSync(join(a.kube, `${SNAP}.rkestate`), STATE, { mode: 0o400 });
    const snap = runOnce(
      {
        name: "etcd-snapshot-once",
        image: img.image,
        cmd: [...BACKUP, "save", ...CERT_FLAGS, "--name", SNAP, `--endpoints=${net.a.ip}:2379`, "--once"],
        binds: backupBinds(a),
        network: net.a.net,
        restart: "no",
      },
      "a",
    );
    made.push(cname("etcd-snapshot-once", "a"));
    if (snap.code !== 0) throw new Error(`container etcd-snapshot-once on node A exited ${snap.code}: ${lastLine(snap.stderr)}`);
    // RKE stops etcd before serving (port 2379) and tears the etcd plane down before restoring.
    remove(etcd);
    rmSync(a.etcdData, { recursive: true, force: true });
    mkdirSync(a.etcdData);
  }, 900_000);

  afterAll(() => {
    remove(...made);
    net?.remove();
  });

  test("etcd-Serve-backup on A; B's etcd-download-backup (restart on-failure) retries until it is served; checksums equal", async () => {
    // Started before the server exists, as on a node where it comes up late: the download fails and is restarted.
    const dl = create(
      {
        name: "etcd-download-backup",
        image: img.image,
        cmd: [...BACKUP, "download", "--name", SNAP, "--local-endpoint", net.a.ip, ...CERT_FLAGS],
        binds: backupBinds(b),
        network: net.b.net,
        restart: "on-failure",
      },
      "b",
    );
    made.push(dl);
    start(dl);
    await until(dl, "restarted after a failed download", (s) => s.RestartCount >= 1, 60_000);

    const serve = create(
      { name: "etcd-Serve-backup", image: img.image, cmd: [...BACKUP, "serve", "--name", SNAP, ...CERT_FLAGS], binds: backupBinds(a), network: net.a.net, restart: "no" },
      "a",
    );
    made.push(serve);
    start(serve);
    const done = await until(dl, "exited 0", (s) => !s.Running && s.Status === "exited" && s.ExitCode === 0, 120_000);
    expect(done.RestartCount).toBeGreaterThanOrEqual(1);
    expect(inspect(serve).Running).toBe(true); // RKE force-removes it once every peer has the file
    remove(serve);
    expect(readdirSync(b.snapshots)).toEqual([SNAP]);
    expect(readFileSync(join(b.snapshots, SNAP)).equals(readFileSync(join(a.snapshots, SNAP)))).toBe(true);

    // RKE's checksum one-liner (`/opt/rke/:/opt/rke/`; RKE leaves the network default: none is enough).
    const sum = (n: Node, label: string) => {
      const path = `/opt/rke/etcd-snapshots/${SNAP}`;
      const r = runOnce(
        {
          name: "etcd-checksum-checker",
          image: img.image,
          network: "none",
          binds: [`${n.optRke}/:/opt/rke/`],
          cmd: ["sh", "-c", ` if [ -f '${path}' ]; then md5sum '${path}' | cut -f1 -d' ' | tr -d '\n'; else echo 'snapshot file does not exist' >&2; fi`],
        },
        label,
      );
      made.push(cname("etcd-checksum-checker", label));
      return r;
    };
    const [sa, sb] = [sum(a, "a"), sum(b, "b")];
    expect({ stderr: sa.stderr + sb.stderr, a: sa.stdout, same: sa.stdout === sb.stdout }).toEqual({ stderr: "", a: expect.stringMatching(/^[0-9a-f]{32}$/), same: true });
  }, 300_000);

  test("etcd-restore (etcdctl snapshot restore in the image) on both nodes; a fresh etcd on the restored data holds the keys", async () => {
    const initial = `etcd-a=https://${net.a.ip}:2380,etcd-b=https://${net.b.ip}:2380`;
    for (const [label, n, ip] of [
      ["a", a, net.a.ip],
      ["b", b, net.b.ip],
    ] as const) {
      const c = certs[label];
      const cmd = [
        "rm -rf",
        "/opt/rke/etcd-snapshots-restore/",
        "&& /usr/local/bin/etcdctl",
        `--endpoints=[${ip}:2379]`,
        "--cacert",
        "/etc/kubernetes/ssl/kube-ca.pem",
        "--cert",
        c.cert,
        "--key",
        c.key,
        "snapshot",
        "restore",
        `/opt/rke/etcd-snapshots/${SNAP}`,
        "--data-dir=/opt/rke/etcd-snapshots-restore/",
        `--name=etcd-${label}`,
        `--initial-cluster=${initial}`,
        "--initial-cluster-token=etcd-cluster-1",
        `--initial-advertise-peer-urls=https://${ip}:2380`,
        "&& mv",
        "/opt/rke/etcd-snapshots-restore/*",
        "/var/lib/rancher/etcd/",
        "&& rm -rf",
        "/opt/rke/etcd-snapshots-restore/",
      ].join(" ");
      const r = runOnce(
        {
          name: "etcd-restore",
          image: img.image,
          cmd: ["sh", "-c", cmd],
          env: ["ETCDCTL_API=3"],
          binds: [`${n.optRke}/:/opt/rke/`, `${n.etcdData}:/var/lib/rancher/etcd`, `${n.kube}:/etc/kubernetes`],
          network: label === "a" ? net.a.net : net.b.net,
        },
        label,
      );
      made.push(cname("etcd-restore", label));
      expect({ node: label, code: r.code, last: r.code === 0 ? "" : lastLine(r.stderr) }).toEqual({ node: label, code: 0, last: "" });
      expect(readdirSync(n.etcdData)).toEqual(["member"]);
    }
    const flags = (label: "a" | "b", ip: string) => [
      "--name",
      `etcd-${label}`,
      "--initial-cluster",
      initial,
      "--initial-advertise-peer-urls",
      `https://${ip}:2380`,
      "--initial-cluster-token",
      "etcd-cluster-1",
    ];
    // Both members start together: each waits for the other's vote.
    const [ea, eb] = await Promise.all([
      startEtcdContainer({ name: "etcd", base: img.base, network: net.a.net, node: a, ip: net.a.ip, port: 2379, cert: certs.a, extra: flags("a", net.a.ip), nodeLabel: "a2" }),
      startEtcdContainer({ name: "etcd", base: img.base, network: net.b.net, node: b, ip: net.b.ip, port: 2379, cert: certs.b, extra: flags("b", net.b.ip), nodeLabel: "b2" }),
    ]);
    made.push(ea, eb);
    const keys = etcdctl(eb, `${net.b.ip}:2379`, certs.b, ["get", "/registry/", "--prefix", "--keys-only"]);
    expect(keys.stdout.split("\n").filter(Boolean).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `/registry/k${i}`).sort());
    const members = etcdctl(ea, `${net.a.ip}:2379`, certs.a, ["member", "list"]);
    expect(
      members.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(", ")[2])
        .sort(),
    ).toEqual(["etcd-a", "etcd-b"]);
  }, 300_000);

  test("etcd-extract-statefile (only /backup bound), then `podman cp` of /tmp/cluster.rkestate out of the stopped container", () => {
    const r = runOnce(
      {
        name: "etcd-extract-statefile",
        image: img.image,
        cmd: [...BACKUP, "extractstatefile", "--name", SNAP],
        binds: [`${a.snapshots}/:/backup`],
        network: net.a.net,
        restart: "no",
      },
      "a",
    );
    const name = cname("etcd-extract-statefile", "a");
    made.push(name);
    expect({ code: r.code, last: r.code === 0 ? "" : lastLine(r.stderr) }).toEqual({ code: 0, last: "" });
    const out = join(workDir(), "cluster.rkestate");
    engineRun(podman(), ["cp", `${name}:/tmp/cluster.rkestate`, out], `copying /tmp/cluster.rkestate out of ${name}`);
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(JSON.parse(STATE));
  }, 120_000);
});
