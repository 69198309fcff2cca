/**
 * `npm run demo`: the main job end to end on loopback, with the compiled executable, as RKE drives it.
 * Starts a throwaway etcd with client-certificate TLS (installing Debian's etcd-server when missing
 * and root), fills it, takes a snapshot with the state file, serves it, downloads it as a peer would,
 * extracts the state file, and — when the local S3 gateway is running — round-trips through S3.
 * Prints each step with its time and cleans up.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { distDir } from "../compile/build.ts";
import { freePort, startEtcd, type EtcdServer } from "../test/support/etcd.ts";

const say = (s: string) => process.stdout.write(s + "\n");
const sha256 = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

async function step<T>(label: string, fn: () => Promise<T> | T): Promise<T> {
  const t = performance.now();
  process.stdout.write(`• ${label} … `);
  try {
    const r = await fn();
    say(`ok (${((performance.now() - t) / 1000).toFixed(2)} s)`);
    return r;
  } catch (e) {
    say(`FAILED (${((performance.now() - t) / 1000).toFixed(2)} s)`);
    throw e;
  }
}

function tool(name: string, args: string[], env: Record<string, string>): { code: number; stderr: string } {
  const r = spawnSync(join(distDir("x64"), name), args, { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${name} ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return { code: r.status ?? -1, stderr: r.stderr };
}

function ensureEtcd(): void {
  if (Bun.which("etcd") && Bun.which("etcdctl")) return;
  if (process.getuid?.() !== 0) throw new Error("etcd is not installed: run as root (the demo installs Debian's etcd-server) or `apt-get install etcd-server etcd-client`");
  say("• installing Debian's etcd-server and etcd-client (apt-get) …");
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "etcd-server", "etcd-client", "openssl"]]) {
    const r = spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed`);
  }
}

function s3Settings(): Record<string, string> | undefined {
  const f = join(process.env.S3_DIR ?? "/tmp/s3-rgw", "s3.env");
  if (!existsSync(f)) return undefined;
  const kv = Object.fromEntries(
    readFileSync(f, "utf8")
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  const probe = spawnSync("curl", ["-s", "-o", "/dev/null", "--cacert", kv.S3_CA_FILE ?? "", kv.S3_ENDPOINT ?? ""]);
  return probe.status === 0 ? kv : undefined;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "rke-demo-"));
  const node1 = { RKE_TOOLS_BACKUP_DIR: join(root, "node1/backup"), RKE_TOOLS_KUBERNETES_DIR: join(root, "node1/etc-kubernetes"), RKE_TOOLS_TMP_DIR: join(root, "node1/tmp") };
  const node2 = { RKE_TOOLS_BACKUP_DIR: join(root, "node2/backup"), RKE_TOOLS_KUBERNETES_DIR: join(root, "node2/etc-kubernetes"), RKE_TOOLS_TMP_DIR: join(root, "node2/tmp") };
  for (const d of [...Object.values(node1), ...Object.values(node2)]) mkdirSync(d, { recursive: true });
  let etcd: EtcdServer | undefined;
  let serve: ReturnType<typeof Bun.spawn> | undefined;
  const name = "demo-snapshot";
  try {
    ensureEtcd();
    etcd = await step("start etcd with client-certificate TLS on loopback", () => startEtcd());
    const certs = ["--cacert", etcd.pki.ca, "--cert", etcd.pki.client.cert, "--key", etcd.pki.client.key];
    const keys = await step("fill it with 64 MiB of Kubernetes-like values", () => etcd!.fill(64 * 2 ** 20));
    say(`  ${keys} keys`);
    const state = JSON.stringify({ desiredState: { demo: true }, currentState: { demo: true } }, null, 2);
    writeFileSync(join(node1.RKE_TOOLS_KUBERNETES_DIR, `${name}.rkestate`), state);
    await step("save --once (streamed snapshot, verified, zipped with the state file)", () =>
      tool("rke-etcd-backup", ["etcd-backup", "save", "--once", "--name", name, "--endpoints", etcd!.endpoint, ...certs], node1),
    );
    const zip = join(node1.RKE_TOOLS_BACKUP_DIR, `${name}.zip`);
    say(`  ${zip}: ${readFileSync(zip).byteLength} bytes`);

    const port = await freePort();
    serve = await step("serve it over mutual TLS (extracts the snapshot first)", async () => {
      const p = Bun.spawn(
        [join(distDir("x64"), "rke-etcd-backup"), "etcd-backup", "serve", "--name", name, "--cacert", etcd!.pki.ca, "--cert", etcd!.pki.node.cert, "--key", etcd!.pki.node.key],
        {
          env: { PATH: process.env.PATH ?? "", ...node1, RKE_TOOLS_SERVE_PORT: String(port) },
          stdout: "ignore",
          stderr: "pipe",
        },
      );
      const deadline = Date.now() + 60_000;
      for (;;) {
        const probe = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
          (s) => (s.end(), true),
          () => false,
        );
        if (probe) return p;
        if (p.exitCode !== null) throw new Error(`serve exited ${p.exitCode}: ${await new Response(p.stderr).text()}`);
        if (Date.now() > deadline) throw new Error("serve did not start listening within 60 s");
        await Bun.sleep(50);
      }
    });
    await step("download it on a second node as a peer (verifies the server's CA)", () =>
      tool("rke-etcd-backup", ["etcd-backup", "download", "--name", name, "--local-endpoint", "127.0.0.1", ...certs], { ...node2, RKE_TOOLS_SERVE_PORT: String(port) }),
    );
    const a = sha256(join(node1.RKE_TOOLS_BACKUP_DIR, name));
    const b = sha256(join(node2.RKE_TOOLS_BACKUP_DIR, name));
    if (a !== b) throw new Error(`snapshots differ: ${a} vs ${b}`);
    say(`  both nodes hold the same snapshot (sha256 ${a.slice(0, 16)}…)`);
    serve.kill("SIGTERM");
    await serve.exited;
    serve = undefined;

    await step("extractstatefile (the state file back out of the zip)", () => tool("rke-etcd-backup", ["etcd-backup", "extractstatefile", "--name", name], node1));
    const extracted = readFileSync(join(node1.RKE_TOOLS_TMP_DIR, "cluster.rkestate"), "utf8");
    if (extracted.trim() !== state.trim()) throw new Error("extracted state file differs from the one saved");

    const s3 = s3Settings();
    if (!s3) {
      say("• S3 round trip skipped: no S3 gateway running (test/support/s3/start.sh starts one)");
    } else {
      const bucket = `demo-${Date.now()}`;
      // The demo's own bucket, made and removed with curl's SigV4 (the gateway's settings from s3.env).
      const bucketCall = (method: "PUT" | "DELETE") =>
        spawnSync("curl", [
          "-s",
          "-X",
          method,
          "--cacert",
          s3.S3_CA_FILE!,
          "--aws-sigv4",
          `aws:amz:${s3.S3_REGION}:s3`,
          "--user",
          `${s3.S3_ACCESS_KEY}:${s3.S3_SECRET_KEY}`,
          "-H",
          "x-amz-content-sha256: UNSIGNED-PAYLOAD",
          `${s3.S3_ENDPOINT}/${bucket}`,
        ]);
      bucketCall("PUT");
      const s3env = {
        S3_BACKUP: "true",
        S3_ENDPOINT: s3.S3_ENDPOINT!.replace(/^https:\/\//, ""),
        S3_ACCESS_KEY: Buffer.from(s3.S3_ACCESS_KEY!).toString("base64"),
        S3_SECRET_KEY: Buffer.from(s3.S3_SECRET_KEY!).toString("base64"),
        S3_BUCKET_NAME: bucket,
        S3_BUCKET_REGION: s3.S3_REGION!,
        S3_ENDPOINT_CA: s3.S3_CA_FILE!,
        S3_FOLDER: "demo",
      };
      await step("save --once --s3-backup (upload to the S3 gateway)", () =>
        tool("rke-etcd-backup", ["etcd-backup", "save", "--once", "--name", `${name}-s3`, "--endpoints", etcd!.endpoint, ...certs], { ...node1, ...s3env }),
      );
      await step("download --s3-backup on the second node", () => tool("rke-etcd-backup", ["etcd-backup", "download", "--name", `${name}-s3`], { ...node2, ...s3env }));
      await step("delete --s3-backup (local and S3)", () => tool("rke-etcd-backup", ["etcd-backup", "delete", "--name", `${name}-s3`, "--s3-backup"], { ...node2, ...s3env }));
      // The demo's bucket is empty again after the delete; remove it so that nothing is left behind.
      bucketCall("DELETE");
    }
    say("demo finished: every step ok");
  } finally {
    serve?.kill("SIGKILL");
    await etcd?.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
