/**
 * Bucket addressing as minio-go's "auto" lookup decides it (docs/contract.md §d-12): virtual-host style for AWS
 * (s3*.amazonaws.com, China, GovCloud), Google (storage.googleapis.com) and Aliyun OSS; path style
 * for everything else (MinIO, Ceph, …) and for dotted bucket names over HTTPS, whose names would
 * not match a wildcard certificate. An endpoint containing "aliyun" forces virtual-host style
 * (rke-tools' own rule).
 */
export type Addressing = "virtual-host" | "path";

const AWS = /^s3([.-][a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/;

export function isAwsEndpoint(host: string): boolean {
  return AWS.test(host.toLowerCase());
}

export function addressingFor(endpointHost: string, bucket: string, https: boolean): Addressing {
  const host = endpointHost.toLowerCase().replace(/:\d+$/, "");
  if (endpointHost.includes("aliyun")) return "virtual-host";
  if (https && bucket.includes(".")) return "path";
  if (isAwsEndpoint(host) || host === "storage.googleapis.com" || host.endsWith(".aliyuncs.com")) return "virtual-host";
  return "path";
}

/**
 * The host to talk to for `region`: AWS's global endpoint names no region, so requests for a
 * bucket elsewhere go to `s3.<region>.amazonaws.com` (as minio-go does); other endpoints as given.
 */
export function regionalHost(endpointHost: string, region: string): string {
  const m = /^s3\.amazonaws\.com(\.cn)?(:\d+)?$/i.exec(endpointHost);
  if (!m || region === "" || region === "us-east-1") return endpointHost;
  return `s3.${region}.amazonaws.com${m[1] ?? ""}${m[2] ?? ""}`;
}

/** S3 key → URL path segment: every byte escaped except RFC 3986 unreserved characters and '/'. */
export function encodeKey(key: string): string {
  return key
    .split("/")
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()))
    .join("/");
}

export interface Target {
  scheme: "https" | "http";
  /** host[:port] of the endpoint. */
  host: string;
  bucket: string;
  addressing: Addressing;
}

/** URL of `key` in the bucket (or of the bucket itself when `key` is undefined), with `query`. */
export function objectUrl(t: Target, key: string | undefined, query: Record<string, string> = {}): URL {
  const path = key === undefined ? "" : encodeKey(key);
  const base = t.addressing === "virtual-host" ? `${t.scheme}://${t.bucket}.${t.host}/${path}` : `${t.scheme}://${t.host}/${encodeURIComponent(t.bucket)}/${path}`;
  const url = new URL(base);
  const qs = Object.entries(query)
    .map(([k, v]) => (v === "" ? `${encodeURIComponent(k)}=` : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join("&");
  if (qs) url.search = qs;
  return url;
}
