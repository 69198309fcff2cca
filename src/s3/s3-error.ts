/**
 * A failed S3 request: HTTP status, the S3 error code and message from the XML body when there is
 * one. HEAD responses carry no body, so their message is derived from the status the way minio-go
 * words it ("Access Denied.", …) — those texts reach the original's error lines.
 */
import { ErrorCode, RkeToolsError } from "../errors.ts";
import { parseXml, text } from "./xml.ts";

export class S3RequestError extends RkeToolsError {
  override readonly name = "S3RequestError";
  constructor(
    readonly status: number,
    readonly s3Code: string,
    message: string,
    readonly requestId = "",
    /** `x-amz-bucket-region` of the answer: where AWS says the bucket lives when it was asked in the wrong region. */
    readonly bucketRegion = "",
  ) {
    super(ErrorCode.S3, message);
  }

  /** Worth another attempt: throttling, server errors, timeouts on the server side. */
  get transient(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 408 || this.s3Code === "RequestTimeout" || this.s3Code === "SlowDown";
  }
}

const STATUS_TEXT: Record<number, [string, string]> = {
  301: ["PermanentRedirect", "The bucket is in a different region; use the right --s3-region."],
  400: ["BadRequest", "Bad Request."],
  403: ["AccessDenied", "Access Denied."],
  404: ["NotFound", "Not Found."],
  405: ["MethodNotAllowed", "The specified method is not allowed against this resource."],
  409: ["Conflict", "Conflict."],
  501: ["NotImplemented", "A header you provided implies functionality that is not implemented."],
};

/**
 * What an error code means, for servers that send a code without a <Message> (Ceph RGW does for
 * its 403s): the bare code alone ("SignatureDoesNotMatch") does not say which flag to look at.
 */
const CODE_TEXT: Record<string, string> = {
  SignatureDoesNotMatch: "SignatureDoesNotMatch: the request's signature does not match; check --s3-secretKey",
  InvalidAccessKeyId: "InvalidAccessKeyId: the server does not know this access key; check --s3-accessKey",
  AccessDenied: "Access Denied.",
  RequestTimeTooSkewed: "RequestTimeTooSkewed: this node's clock and the server's differ too much",
  AuthorizationHeaderMalformed: "AuthorizationHeaderMalformed: the region is wrong; check --s3-region",
};

export async function s3ErrorFrom(res: Response, what: { bucket?: string; key?: string } = {}): Promise<S3RequestError> {
  let body = "";
  try {
    body = await res.text();
  } catch {
    // A broken body still leaves the status to report.
  }
  let code = "";
  let message = "";
  if (body.includes("<Error")) {
    try {
      const err = parseXml(body).Error;
      code = text(err, "Code");
      message = text(err, "Message");
    } catch {
      // not XML after all
    }
  }
  const [defCode, defMsg] =
    res.status === 404 && what.key === undefined
      ? ["NoSuchBucket", "The specified bucket does not exist."]
      : res.status === 404
        ? ["NoSuchKey", "The specified key does not exist."]
        : (STATUS_TEXT[res.status] ?? [`HTTP${res.status}`, `${res.status} ${res.statusText || "error"}`.trim()]);
  code ||= defCode;
  message ||= code !== defCode ? (CODE_TEXT[code] ?? code) : defMsg;
  return new S3RequestError(res.status, code, message, res.headers.get("x-amz-request-id") ?? "", res.headers.get("x-amz-bucket-region") ?? "");
}

/** Whether an error from a request (HTTP or network) is worth retrying. */
export function isTransient(e: unknown): boolean {
  if (e instanceof S3RequestError) return e.transient;
  if (e instanceof RkeToolsError) return e.code === ErrorCode.Http; // network failures and stalls, see transport.ts
  return false;
}
