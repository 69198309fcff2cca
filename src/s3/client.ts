/**
 * The S3 operations the snapshot commands need, on one bucket. `createS3Client` does what the
 * original's setS3Service does, in its order and with its texts: log the settings (keys redacted),
 * pick credentials (keys, else the IAM chain), discover an empty region (GetBucketLocation), then
 * check that the bucket exists (`bucket B is not found` / `failed to check s3 bucket:B, err:…`).
 */
import { ErrorCode, RkeToolsError, messageOf, names } from "../errors.ts";
import { silentLogger, type Logger } from "../log/logger.ts";
import { addressingFor, objectUrl, regionalHost, type Target } from "./addressing.ts";
import type { S3Config } from "./config.ts";
import { iamCredentials, staticCredentials } from "./credentials/chain.ts";
import type { CredentialSource } from "./credentials/types.ts";
import { S3RequestError, s3ErrorFrom } from "./s3-error.ts";
import { Transport } from "./transport.ts";
import { child, children, parseXml, text, type XmlNode } from "./xml.ts";

export interface ObjectInfo {
  key: string;
  size: number;
  /** LastModified from the listing; undefined when the store sent none. */
  lastModified?: Date;
}

export interface HeadInfo {
  size: number;
  etag: string;
  /** x-amz-meta-* headers, names without the prefix, lower case. */
  metadata: Record<string, string>;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class S3Client {
  private target: Target;

  constructor(
    readonly config: S3Config,
    private readonly transport: Transport,
    public region: string,
    readonly log: Logger = silentLogger,
  ) {
    this.target = this.targetFor(region);
  }

  get bucket(): string {
    return this.config.bucket;
  }

  private targetFor(region: string): Target {
    const host = regionalHost(this.config.endpoint, region);
    return { scheme: this.config.scheme, host, bucket: this.config.bucket, addressing: addressingFor(host, this.config.bucket, this.config.scheme === "https") };
  }

  setRegion(region: string): void {
    this.region = region;
    this.target = this.targetFor(region);
  }

  /** One request; non-2xx answers (other than `accept`) become S3RequestError. */
  async request(
    method: string,
    key: string | undefined,
    opts: CallOptions & { query?: Record<string, string>; headers?: Record<string, string>; body?: RequestInit["body"]; accept?: number[] } = {},
  ): Promise<Response> {
    const url = objectUrl(this.target, key, opts.query);
    const res = await this.transport.send({ method, url, region: this.region, headers: opts.headers, body: opts.body, signal: opts.signal, timeoutMs: opts.timeoutMs });
    if (res.ok || opts.accept?.includes(res.status)) return res;
    throw await s3ErrorFrom(res, { bucket: this.bucket, key });
  }

  private async xml(method: string, key: string | undefined, opts: Parameters<S3Client["request"]>[2] = {}): Promise<XmlNode> {
    const res = await this.request(method, key, opts);
    const body = await res.text();
    return body.trim() === "" ? {} : parseXml(body);
  }

  /** GetBucketLocation: "" means us-east-1, "EU" eu-west-1 (S3's legacy names). */
  async bucketLocation(opts: CallOptions = {}): Promise<string> {
    const doc = await this.xml("GET", undefined, { ...opts, query: { location: "" } });
    const v = doc.LocationConstraint;
    const loc = typeof v === "string" ? v : "";
    return loc === "" ? "us-east-1" : loc === "EU" ? "eu-west-1" : loc;
  }

  /** true when the bucket exists, false on NoSuchBucket; throws for anything else (403, network). */
  async bucketExists(opts: CallOptions = {}): Promise<boolean> {
    const res = await this.request("HEAD", undefined, { ...opts, accept: [404] });
    await res.body?.cancel();
    return res.status !== 404;
  }

  /** HeadObject; undefined when there is no such key. */
  async headObject(key: string, opts: CallOptions = {}): Promise<HeadInfo | undefined> {
    const res = await this.request("HEAD", key, { ...opts, accept: [404] });
    await res.body?.cancel();
    if (res.status === 404) return undefined;
    const metadata: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (k.toLowerCase().startsWith("x-amz-meta-")) metadata[k.toLowerCase().slice("x-amz-meta-".length)] = v;
    });
    return { size: Number(res.headers.get("content-length") ?? 0), etag: res.headers.get("etag") ?? "", metadata };
  }

  /** "Enabled", "Suspended", or "" when versioning was never turned on. */
  async versioning(opts: CallOptions = {}): Promise<string> {
    const doc = await this.xml("GET", undefined, { ...opts, query: { versioning: "" } });
    return text(doc.VersioningConfiguration, "Status");
  }

  /**
   * Lists keys under `prefix`, in S3's order. `recursive: false` lists one level (delimiter "/"),
   * as minio-go's ListObjects does; folders are not returned. ListObjectsV2, or V1 where a store
   * answers NotImplemented (older GCS). Keys come URL-encoded on request and are decoded here.
   */
  async *list(prefix: string, opts: CallOptions & { recursive?: boolean } = {}): AsyncGenerator<ObjectInfo> {
    let v1 = false;
    let token = "";
    for (;;) {
      const query: Record<string, string> = { "encoding-type": "url", prefix };
      if (!opts.recursive) query.delimiter = "/";
      if (v1) {
        if (token) query.marker = token;
      } else {
        query["list-type"] = "2";
        if (token) query["continuation-token"] = token;
      }
      let doc: XmlNode;
      try {
        doc = await this.xml("GET", undefined, { ...opts, query });
      } catch (e) {
        if (!v1 && e instanceof S3RequestError && (e.status === 501 || e.s3Code === "NotImplemented")) {
          v1 = true;
          continue;
        }
        throw e;
      }
      const result = child(doc, "ListBucketResult");
      const encoded = text(result, "EncodingType").toLowerCase() === "url";
      let last = "";
      for (const c of children(result, "Contents")) {
        const raw = text(c, "Key");
        last = raw;
        const modified = text(c, "LastModified");
        yield { key: encoded ? (queryUnescape(raw) ?? raw) : raw, size: Number(text(c, "Size") || 0), lastModified: modified ? new Date(modified) : undefined };
      }
      if (text(result, "IsTruncated") !== "true") return;
      token = v1 ? text(result, "NextMarker") || last : text(result, "NextContinuationToken");
      if (!token) return;
    }
  }

  async deleteObject(key: string, opts: CallOptions = {}): Promise<void> {
    const res = await this.request("DELETE", key, { ...opts, accept: [404] });
    await res.body?.cancel();
  }
}

/** Go's url.QueryUnescape: '+' is a space; undefined when the escapes are malformed. */
export function queryUnescape(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

export interface CreateOptions {
  log?: Logger;
  signal?: AbortSignal;
  /** Overrides the credential source (tests). */
  credentials?: CredentialSource;
}

/** `failed to set s3 server: …` — the original's prefix for every client-setup failure. */
const SETUP = "set s3 server";
function setupError(why: string, cause?: unknown): RkeToolsError {
  const code = cause instanceof RkeToolsError ? cause.code : ErrorCode.S3;
  return new RkeToolsError(code, `failed to set s3 server: ${why}`, { cause, operation: SETUP });
}

export async function createS3Client(config: S3Config, opts: CreateOptions = {}): Promise<S3Client> {
  const log = opts.log ?? silentLogger;
  log.addSecret(config.rawAccessKey, config.rawSecretKey, config.accessKey, config.secretKey);
  const fields = {
    "s3-endpoint": config.endpoint,
    "s3-bucketName": config.bucket,
    "s3-accessKey": config.rawAccessKey, // printed as [REDACTED] by the logger (the original printed it)
    "s3-region": config.region,
    "s3-endpoint-ca": config.endpointCa,
    "s3-folder": config.folder,
  };
  log.info("invoking set s3 service client", fields);
  let credentials = opts.credentials;
  if (!credentials) {
    if (config.accessKey === "" && config.secretKey === "") {
      log.info("invoking set s3 service client use IAM role");
      credentials = iamCredentials(config.env, log);
    } else {
      credentials = staticCredentials(config.accessKey, config.secretKey);
    }
  }
  const client = new S3Client(config, new Transport(credentials, config.caCerts), config.region, log);
  try {
    let guessed = false;
    if (config.region === "") {
      try {
        client.setRegion(await client.bucketLocation({ signal: opts.signal }));
        log.debug(`discovered s3 region ${client.region}`);
      } catch (e) {
        if (e instanceof S3RequestError && e.s3Code === "NoSuchBucket") throw setupError(`bucket ${config.bucket} is not found`, e);
        // Least-privilege policies often leave out s3:GetBucketLocation. minio-go (the original's
        // client) then goes on with us-east-1 and lets the bucket check decide; so do we.
        if (!(e instanceof S3RequestError && e.s3Code === "AccessDenied")) throw e;
        log.debug("GetBucketLocation was denied; trying us-east-1");
        client.setRegion("us-east-1");
        guessed = true;
      }
    }
    const found = await client.bucketExists({ signal: opts.signal }).catch(async (e: unknown) => {
      // Asked in the wrong region, AWS names the right one in x-amz-bucket-region: follow it once.
      if (!guessed || !(e instanceof S3RequestError) || !e.bucketRegion || e.bucketRegion === client.region) throw e;
      log.debug(`bucket ${config.bucket} is in ${e.bucketRegion}`);
      client.setRegion(e.bucketRegion);
      return client.bucketExists({ signal: opts.signal });
    });
    if (!found) throw setupError(`bucket ${config.bucket} is not found`);
  } catch (e) {
    if (names(e, SETUP)) throw logged(e, log, fields);
    if (e instanceof RkeToolsError && e.code === ErrorCode.Aborted) throw e;
    throw logged(setupError(`failed to check s3 bucket:${config.bucket}, err:${messageOf(e)}`, e), log, fields);
  }
  return client;
}

function logged(e: RkeToolsError, log: Logger, fields: Record<string, string>): RkeToolsError {
  log.error(e.message, fields);
  return e;
}
