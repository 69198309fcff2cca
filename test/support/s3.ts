/**
 * The real S3 gateway (Ceph RGW on loopback, HTTPS with its own CA) for tests: started through
 * test/support/s3/start.sh when it does not answer (idempotent), per-test buckets, and fixture
 * operations done with curl's own SigV4 — independent of the client under test.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { S3Flags } from "../../src/tools/etcd-backup/s3-flags.ts";
import { component, type Component } from "./components.ts";
import { declareSecret } from "./secrets.ts";

export interface Gateway {
  /** host:port of the HTTPS endpoint, as RKE passes --s3-endpoint. */
  endpoint: string;
  url: string;
  /** host:port of the plain HTTP endpoint. */
  httpEndpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  caFile: string;
  caPem: string;
}

const DIR = process.env.S3_DIR || "/tmp/s3-rgw";
const START = join(import.meta.dir, "s3", "start.sh");
let cached: Gateway | undefined;

function readEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(DIR, "s3.env"), "utf8").split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

function answers(env: Record<string, string>): boolean {
  const r = spawnSync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "--cacert", env.S3_CA_FILE!, env.S3_ENDPOINT + "/"], { encoding: "utf8" });
  return r.status === 0 && /^[2-4]\d\d$/.test(r.stdout);
}

/** The running gateway, starting it when needed. Throws with the reason when it cannot. */
export function gateway(): Gateway {
  if (cached) return cached;
  let env = existsSync(join(DIR, "s3.env")) ? readEnv() : undefined;
  if (!env || !answers(env)) {
    const r = spawnSync("bash", [START, DIR], { encoding: "utf8", timeout: 300_000 });
    if (r.status !== 0) throw new Error(`start.sh failed (exit ${r.status}): ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" | ")}`);
    env = readEnv();
  }
  const url = env.S3_ENDPOINT!;
  cached = {
    endpoint: url.replace(/^https:\/\//, ""),
    url,
    httpEndpoint: env.S3_ENDPOINT_HTTP!.replace(/^http:\/\//, ""),
    accessKey: env.S3_ACCESS_KEY!,
    secretKey: env.S3_SECRET_KEY!,
    region: env.S3_REGION!,
    caFile: env.S3_CA_FILE!,
    caPem: readFileSync(env.S3_CA_FILE!, "utf8"),
  };
  // The decoded keys must never reach any output of the executable. (Their base64 forms are not
  // declared: the sweep also reads the command lines that tests record, where RKE-style flags carry them.)
  declareSecret(cached.accessKey, cached.secretKey);
  return cached;
}

export const s3Gateway: Component = component("s3 gateway", () => {
  if (!Bun.which("curl")) return "curl not found";
  gateway();
  return undefined;
});

export interface CurlResult {
  status: number;
  body: string;
  headers: string;
}

/** curl's arguments that sign a request for the gateway with SigV4 (the secret may be replaced, to test a wrong one). */
export function sigv4CurlArgs(g: ReturnType<typeof gateway> = gateway(), secret = g.secretKey): string[] {
  return ["--cacert", g.caFile, "--aws-sigv4", `aws:amz:${g.region}:s3`, "--user", `${g.accessKey}:${secret}`, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"];
}

/** A SigV4-signed request with curl (query parameters must be given sorted and encoded). */
export function s3curl(method: string, path: string, opts: { body?: string; file?: string; headers?: string[]; secret?: string } = {}): CurlResult {
  const g = gateway();
  const args = ["-sS", ...sigv4CurlArgs(g, opts.secret ?? g.secretKey), "-X", method, "-D", "-", "-o", "-", "-w", "\n%{http_code}"];
  for (const h of opts.headers ?? []) args.push("-H", h);
  if (opts.body !== undefined) args.push("--data-binary", opts.body);
  if (opts.file) args.push("-T", opts.file);
  if (method === "HEAD") args.splice(args.indexOf("-X"), 2, "-I");
  const r = spawnSync("curl", [...args, g.url + path], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`curl ${method} ${path}: ${r.stderr}`);
  const out = r.stdout;
  const nl = out.lastIndexOf("\n");
  const status = Number(out.slice(nl + 1));
  const rest = out.slice(0, nl);
  const split = rest.indexOf("\r\n\r\n");
  return { status, headers: split < 0 ? rest : rest.slice(0, split), body: split < 0 ? "" : rest.slice(split + 4) };
}

function ok(r: CurlResult, what: string): CurlResult {
  if (r.status < 200 || r.status > 299) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return r;
}

export type Versioning = "never" | "Enabled" | "Suspended";

/** A new bucket with a random name; `versioning` as asked. */
export function createBucket(versioning: Versioning = "never", prefix = "t"): string {
  const name = `${prefix}-${randomBytes(5).toString("hex")}`;
  ok(s3curl("PUT", `/${name}`), `create bucket ${name}`);
  if (versioning !== "never") setVersioning(name, versioning);
  return name;
}

export function setVersioning(bucket: string, status: "Enabled" | "Suspended"): void {
  const xml = `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>${status}</Status></VersioningConfiguration>`;
  ok(s3curl("PUT", `/${bucket}?versioning=`, { body: xml }), `versioning ${status} on ${bucket}`);
}

const enc = (k: string) => k.split("/").map(encodeURIComponent).join("/");

export function putObject(bucket: string, key: string, file: string, headers: string[] = []): void {
  ok(s3curl("PUT", `/${bucket}/${enc(key)}`, { file, headers }), `put ${key}`);
}

export function headObject(bucket: string, key: string): { status: number; headers: Record<string, string> } {
  const r = s3curl("HEAD", `/${bucket}/${enc(key)}`);
  const headers: Record<string, string> = {};
  for (const line of r.headers.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: r.status, headers };
}

export function getObject(bucket: string, key: string, out: string): number {
  const g = gateway();
  const r = spawnSync("curl", ["-sS", ...sigv4CurlArgs(g), "-o", out, "-w", "%{http_code}", `${g.url}/${bucket}/${enc(key)}`], { encoding: "utf8" });
  return Number(r.stdout);
}

const unxml = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

/** Every key in the bucket (recursive), in S3 order. */
export function listKeys(bucket: string): string[] {
  const r = ok(s3curl("GET", `/${bucket}?list-type=2&max-keys=1000`), `list ${bucket}`);
  return [...r.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => unxml(m[1]!));
}

/** Multipart uploads still open in the bucket (should be none after any upload, failed or not). */
export function openUploads(bucket: string): string[] {
  const r = ok(s3curl("GET", `/${bucket}?uploads=`), `list uploads ${bucket}`);
  return [...r.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => unxml(m[1]!));
}

/** Object versions (key per version), to see whether versioning kept copies. */
export function listVersions(bucket: string): { key: string; versionId: string }[] {
  const r = ok(s3curl("GET", `/${bucket}?versions=`), `versions ${bucket}`);
  return [...r.body.matchAll(/<Version>[\s\S]*?<Key>([^<]*)<\/Key><VersionId>([^<]*)<\/VersionId>/g)].map((m) => ({ key: unxml(m[1]!), versionId: m[2]! }));
}

/** Removes every version, delete marker, open upload and the bucket itself (best effort). */
export function removeBucket(bucket: string): void {
  try {
    const r = s3curl("GET", `/${bucket}?versions=`);
    for (const m of r.body.matchAll(/<(?:Version|DeleteMarker)>[\s\S]*?<Key>([^<]*)<\/Key><VersionId>([^<]*)<\/VersionId>/g)) {
      s3curl("DELETE", `/${bucket}/${enc(unxml(m[1]!))}?versionId=${encodeURIComponent(m[2]!)}`);
    }
    for (const k of listKeys(bucket)) s3curl("DELETE", `/${bucket}/${enc(k)}`);
    const u = s3curl("GET", `/${bucket}?uploads=`);
    for (const m of u.body.matchAll(/<Key>([^<]*)<\/Key>[\s\S]*?<UploadId>([^<]*)<\/UploadId>/g)) {
      s3curl("DELETE", `/${bucket}/${enc(unxml(m[1]!))}?uploadId=${encodeURIComponent(m[2]!)}`);
    }
    s3curl("DELETE", `/${bucket}`);
  } catch {
    // cleanup only
  }
}

/** The etcd-backup S3 flags for `bucket` on the gateway, keys base64-encoded as RKE passes them. */
export function gatewayFlags(bucket: string, over: Partial<Record<string, string | boolean>> = {}) {
  const g = gateway();
  return {
    "s3-endpoint": g.endpoint,
    "s3-accessKey": Buffer.from(g.accessKey).toString("base64"),
    "s3-secretKey": Buffer.from(g.secretKey).toString("base64"),
    "s3-bucketName": bucket,
    "s3-region": "",
    "s3-endpoint-ca": Buffer.from(g.caPem).toString("base64"),
    "s3-folder": "",
    ...over,
  } as S3Flags;
}

/** A logger that keeps its lines, for assertions on what was (not) logged. */
export function captureLog(): { log: import("../../src/log/logger.ts").Logger; lines: string[] } {
  const { Logger } = require("../../src/log/logger.ts") as typeof import("../../src/log/logger.ts");
  const lines: string[] = [];
  return { log: Logger.create({ level: "debug", sink: (l) => lines.push(l) }), lines };
}
