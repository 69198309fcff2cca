/**
 * The kubeconfig RKE writes for each node (`/etc/kubernetes/ssl/kubecfg-kube-node.yaml`, see
 * RKE's pki.getKubeConfigX509): YAML with one cluster (`server`, `certificate-authority` path),
 * one context and one user (`client-certificate`/`client-key` paths). Read as kubectl reads it:
 * current-context picks the context, `-data` fields (base64) win over paths, relative paths are
 * relative to the kubeconfig's folder. Only client-certificate authentication is supported.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ErrorCode, RkeToolsError } from "../errors.ts";
import { parseCertificates, validatePrivateKey } from "../tls/pem.ts";

export interface KubeClientConfig {
  /** The kubeconfig file, for messages. */
  source: string;
  /** API server base URL (https; may carry a path prefix). */
  server: URL;
  /** CA bundle (PEM); undefined means the system roots. */
  ca?: string;
  cert: string;
  key: string;
  /** `tls-server-name`: the name to verify the server certificate against. */
  serverName?: string;
  /** `insecure-skip-tls-verify: true` (kubectl honours it; RKE never writes it). */
  insecureSkipTlsVerify: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function errnoWhy(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return (e as Error).message;
}

export async function loadKubeconfig(path: string): Promise<KubeClientConfig> {
  const fail = (code: ErrorCode, why: string, cause?: unknown) => new RkeToolsError(code, `kubeconfig ${path}: ${why}`, { cause });

  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw fail(ErrorCode.NotFound, errnoWhy(e), e);
  }
  let doc: unknown;
  try {
    doc = Bun.YAML.parse(text);
  } catch (e) {
    throw fail(ErrorCode.InvalidInput, `not valid YAML (${(e as Error).message})`, e);
  }
  if (!isObj(doc)) throw fail(ErrorCode.InvalidInput, "not a kubeconfig (expected a mapping with clusters, contexts and users)");

  const contextName = str(doc["current-context"]);
  if (!contextName) throw fail(ErrorCode.InvalidInput, "current-context is not set");
  const context = named(doc, "contexts", "context", contextName, fail);
  const clusterName = str(context.cluster);
  const userName = str(context.user);
  if (!clusterName) throw fail(ErrorCode.InvalidInput, `context "${contextName}" names no cluster`);
  if (!userName) throw fail(ErrorCode.InvalidInput, `context "${contextName}" names no user`);
  const cluster = named(doc, "clusters", "cluster", clusterName, fail);
  const user = named(doc, "users", "user", userName, fail);

  const server = parseServer(str(cluster.server), clusterName, fail);
  const base = dirname(resolve(path));
  const material = (o: Obj, field: string, owner: string): Promise<string | undefined> => readMaterial(o, field, owner, base, fail);

  const ca = await material(cluster, "certificate-authority", `cluster "${clusterName}"`);
  if (ca !== undefined) parseCertificates(ca, `kubeconfig ${path}: cluster "${clusterName}" certificate-authority`);
  const cert = await material(user, "client-certificate", `user "${userName}"`);
  const key = await material(user, "client-key", `user "${userName}"`);
  if (cert === undefined || key === undefined) {
    throw fail(ErrorCode.InvalidInput, `user "${userName}" has no client-certificate and client-key (only client-certificate authentication is supported)`);
  }
  parseCertificates(cert, `kubeconfig ${path}: user "${userName}" client-certificate`);
  validatePrivateKey(key, `kubeconfig ${path}: user "${userName}" client-key`);

  return {
    source: path,
    server,
    ca,
    cert,
    key,
    serverName: str(cluster["tls-server-name"]) || undefined,
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
  };
}

type Fail = (code: ErrorCode, why: string, cause?: unknown) => RkeToolsError;

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** `list[].name == name` → its `field` mapping (kubeconfig's named-list shape). */
function named(doc: Obj, list: string, field: string, name: string, fail: Fail): Obj {
  const items = doc[list];
  if (!Array.isArray(items)) throw fail(ErrorCode.InvalidInput, `${list} is missing or not a list`);
  const item = items.find((i) => isObj(i) && i.name === name) as Obj | undefined;
  if (!item) throw fail(ErrorCode.InvalidInput, `${field} "${name}" not found in ${list}`);
  const body = item[field];
  if (!isObj(body)) throw fail(ErrorCode.InvalidInput, `${list} entry "${name}" has no ${field} mapping`);
  return body;
}

function parseServer(server: string, clusterName: string, fail: Fail): URL {
  if (!server) throw fail(ErrorCode.InvalidInput, `cluster "${clusterName}" has no server`);
  let url: URL;
  try {
    url = new URL(server);
  } catch (e) {
    throw fail(ErrorCode.InvalidInput, `cluster "${clusterName}" server "${server}" is not a URL`, e);
  }
  // Client certificates mean nothing over plain HTTP; RKE always writes https.
  if (url.protocol !== "https:") throw fail(ErrorCode.InvalidInput, `cluster "${clusterName}" server "${server}" is not an https:// URL`);
  return url;
}

/** `<field>-data` (base64 PEM) or `<field>` (a path), as kubectl: data wins. */
async function readMaterial(o: Obj, field: string, owner: string, base: string, fail: Fail): Promise<string | undefined> {
  const data = str(o[`${field}-data`]);
  if (data) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.fromBase64(data.trim()));
    } catch (e) {
      throw fail(ErrorCode.InvalidInput, `${owner} ${field}-data is not valid base64`, e);
    }
  }
  const file = str(o[field]);
  if (!file) return undefined;
  const abs = resolve(base, file);
  try {
    return await readFile(abs, "utf8");
  } catch (e) {
    throw fail(ErrorCode.Tls, `${owner} ${field} ${abs}: ${errnoWhy(e)}`, e);
  }
}
