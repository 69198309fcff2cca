/**
 * etcd-snapshot-once and etcd-rolling-snapshots from the image, with RKE's Cmd, binds, network and
 * restart policy (docs/contract.md §a.4; rancher/rke services/etcd.go RunEtcdSnapshotSave,
 * configS3BackupImgCmd), against etcd with client-certificate TLS in a container on the host
 * network, the real S3 gateway and a kube-apiserver stand-in for the rolling state.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeWith } from "../support/components.ts";
import { etcdComponents, freePort } from "../support/etcd.ts";
import { kubeconfigPathIn, startKubeApi, writeKubeconfig, type KubeApi } from "../support/kube-api.ts";
import { makePki, type Pki } from "../support/pki.ts";
import { createBucket, gateway, listKeys, removeBucket, s3Gateway } from "../support/s3.ts";
import { declareSecret } from "../support/secrets.ts";
import { lastLine } from "../support/bin.ts";
import {
  BACKUP,
  backupBinds,
  cname,
  CERT_FLAGS,
  create,
  etcdctl,
  imageComponents,
  issueEtcdCert,
  makeNode,
  type Node,
  remove,
  runOnce,
  start,
  startEtcdContainer,
  testImages,
  until,
} from "./support.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
/** Entry names, read by Python's zipfile (independent of our reader). */
const zipEntries = (file: string) =>
  JSON.parse(spawnSync("python3", ["-c", "import zipfile,sys,json; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))", file], { encoding: "utf8" }).stdout) as string[];
const STATE = JSON.stringify({ desiredState: { rkeConfig: { nodes: [] } }, currentState: {} });

describeWith([...imageComponents, ...etcdComponents, s3Gateway], "image: etcd snapshots as RKE runs them", () => {
  let img: ReturnType<typeof testImages>;
  let pki: Pki;
  let node: Node;
  let endpoint: string;
  let etcd: string;
  let cert: { cert: string; key: string };
  let api: KubeApi | undefined;
  let bucket: string | undefined;
  const made: string[] = [];

  beforeAll(async () => {
    img = testImages();
    pki = makePki();
    node = makeNode("snap", pki);
    const port = await freePort();
    endpoint = `127.0.0.1:${port}`;
    cert = issueEtcdCert(node, pki, "127.0.0.1");
    etcd = await startEtcdContainer({ name: "etcd", base: img.base, network: "host", node, ip: "127.0.0.1", port, cert });
    made.push(etcd);
    for (let i = 0; i < 20; i++) expect(etcdctl(etcd, endpoint, cert, ["put", `/registry/k${i}`, `v${i}`]).code).toBe(0);
  }, 900_000);

  afterAll(async () => {
    remove(...made);
    await api?.stop();
    if (bucket) removeBucket(bucket);
  });

  /** RKE's save Cmd for this node (services/etcd.go RunEtcdSnapshotSave). */
  const saveCmd = (name: string) => [...BACKUP, "save", ...CERT_FLAGS, "--name", name, `--endpoints=${endpoint}`];

  test("etcd-snapshot-once: host network, restart no, /backup and /etc/kubernetes bound; the zip holds the db and RKE's state file", () => {
    writeFileSync(join(node.kube, "once1.rkestate"), STATE, { mode: 0o400 }); // RKE copies it there first
    const r = runOnce({ name: "etcd-snapshot-once", image: img.image, cmd: [...saveCmd("once1"), "--once"], binds: backupBinds(node), network: "host", restart: "no" });
    made.push(cname("etcd-snapshot-once"));
    expect({ code: r.code, last: lastLine(r.stderr) }).toEqual({ code: 0, last: expect.stringContaining('msg="Created local backup"') });
    expect(readdirSync(node.snapshots)).toEqual(["once1.zip"]);
    expect(statSync(join(node.snapshots, "once1.zip")).mode & 0o777).toBe(0o600);
    expect(readdirSync(node.kube)).toEqual(["ssl"]); // the state file went into the zip
    expect(zipEntries(join(node.snapshots, "once1.zip"))).toEqual(["/backup/once1", "/etc/kubernetes/once1.rkestate"]);
  }, 180_000);

  test("one-shot upload to the S3 gateway with the CA passed in base64 and the keys base64 in env, as RKE passes them", () => {
    const g = gateway();
    bucket = createBucket();
    declareSecret(b64(g.secretKey));
    const s3 = [
      "--creation=12h",
      "--retention=72h",
      "--s3-backup=true",
      `--s3-endpoint=${g.endpoint}`,
      `--s3-bucketName=${bucket}`,
      "--s3-region=",
      `--s3-endpoint-ca=${b64(g.caPem)}`,
    ];
    const env = [`S3_ACCESS_KEY=${b64(g.accessKey)}`, `S3_SECRET_KEY=${b64(g.secretKey)}`];
    const r = runOnce(
      { name: "etcd-snapshot-once", image: img.image, cmd: [...saveCmd("s3snap"), "--once", ...s3], env, binds: backupBinds(node), network: "host", restart: "no" },
      "s3",
    );
    made.push(cname("etcd-snapshot-once", "s3"));
    expect({ code: r.code, last: lastLine(r.stderr) }).toEqual({ code: 0, last: expect.any(String) });
    expect(listKeys(bucket)).toEqual(["s3snap.zip"]);

    // A forced upload failure (a wrong secret): exit 1 and RKE's phrase on the last stderr line.
    const bad = [`S3_ACCESS_KEY=${b64(g.accessKey)}`, `S3_SECRET_KEY=${b64("not-the-secret-value")}`];
    const f = runOnce(
      { name: "etcd-snapshot-once", image: img.image, cmd: [...saveCmd("s3fail"), "--once", ...s3], env: bad, binds: backupBinds(node), network: "host", restart: "no" },
      "s3fail",
    );
    made.push(cname("etcd-snapshot-once", "s3fail"));
    expect(f.code).toBe(1);
    expect(lastLine(f.stderr)).toContain("failed to upload etcd snapshot file");
    expect(f.stderr).not.toContain("not-the-secret-value");
  }, 180_000);

  test("etcd-rolling-snapshots (restart always) keeps running across two ticks, each archive with the state from the Kubernetes API", async () => {
    api = await startKubeApi({ secret: STATE, configMap: null });
    writeKubeconfig(kubeconfigPathIn(node.kube), api, { embed: true }); // the container sees only /etc/kubernetes
    const before = new Set(readdirSync(node.snapshots));
    const name = create({
      name: "etcd-rolling-snapshots",
      image: img.image,
      cmd: [...saveCmd("etcd-rolling-snapshots"), "--retention=72h", "--creation=2s"],
      binds: backupBinds(node),
      network: "host",
      restart: "always",
    });
    made.push(name);
    start(name);
    const rolled = () => readdirSync(node.snapshots).filter((f) => !before.has(f) && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ_etcd\.zip$/.test(f));
    const s = await until(name, "the holder of two rolling snapshots", (st) => !st.Running || rolled().length >= 2, 120_000);
    expect({ running: s.Running, restarts: s.RestartCount }).toEqual({ running: true, restarts: 0 });
    expect(rolled().length).toBeGreaterThanOrEqual(2);
    expect(api.requests.some((r) => r.path === "/api/v1/namespaces/kube-system/secrets/full-cluster-state")).toBe(true);
    for (const zip of rolled().slice(0, 2)) {
      const snap = zip.replace(/\.zip$/, "");
      expect(zipEntries(join(node.snapshots, zip))).toEqual([`/backup/${snap}`, `/etc/kubernetes/${snap}.rkestate`]);
    }
  }, 180_000);
});
