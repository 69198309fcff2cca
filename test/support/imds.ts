/**
 * Local metadata and credential servers on loopback speaking the real wire protocols: the EC2
 * instance metadata service (one stand-in for everyone who asks it, as src/cloud/ec2-imds.ts is
 * one client: the entrypoint's node name and S3's IAM role), the ECS container credentials
 * endpoint, and STS AssumeRoleWithWebIdentity. Each records what it was asked, so tests can
 * check the protocol steps.
 */
import type { Server } from "bun";

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** "" omits the token (the S3 gateway here has no STS to check one). */
  token?: string;
  /** Expiration to report; default one hour ahead. */
  expiration?: () => Date;
}

export interface Hit {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

abstract class Recorder<H extends Hit = Hit> {
  readonly hits: H[] = [];
  protected server!: Server<undefined>;
  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }
  async stop(): Promise<void> {
    await this.server.stop(true);
  }
  protected async record(req: Request, more?: (hit: Hit) => Omit<H, keyof Hit>): Promise<H> {
    const u = new URL(req.url);
    const base: Hit = { method: req.method, path: u.pathname + u.search, headers: Object.fromEntries(req.headers), body: await req.text() };
    const hit = { ...base, ...more?.(base) } as H;
    this.hits.push(hit);
    return hit;
  }
}

function credentialJson(c: IssuedCredentials): string {
  const doc: Record<string, string> = {
    Code: "Success",
    LastUpdated: new Date().toISOString(),
    Type: "AWS-HMAC",
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    Expiration: (c.expiration?.() ?? new Date(Date.now() + 3600_000)).toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
  if (c.token !== undefined) doc.Token = c.token;
  return JSON.stringify(doc);
}

/**
 * How the EC2 stand-in takes session tokens: "v2" requires one (the IMDSv2-only setting of
 * rancher/rancher#46582), "optional" takes a token or none, "v1" has no token endpoint (refused
 * with `tokenRefusal`), "unavailable" answers every request 503.
 */
export type ImdsMode = "v2" | "optional" | "v1" | "unavailable";

export interface ImdsServerOptions {
  /** @default "v2" */
  mode?: ImdsMode;
  /** The answer of /latest/meta-data/hostname (404 without one). */
  hostname?: string;
  /** The role's credentials under /latest/meta-data/iam/security-credentials/ (404 without them). */
  credentials?: IssuedCredentials;
  /** "v1": the token PUT's status; the clients fall back to IMDSv1 on 403, 404 or 405. @default 404 */
  tokenRefusal?: 403 | 404 | 405;
}

/** One request to the EC2 stand-in, with the token TTL asked for and whether its token was one we issued. */
export interface ImdsHit extends Hit {
  ttl?: string;
  token: "valid" | "invalid" | "none";
}

/**
 * EC2 instance metadata: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds (1–21600),
 * then GETs carrying X-aws-ec2-metadata-token, per `mode`.
 */
export class ImdsServer extends Recorder<ImdsHit> {
  readonly role = "rke-snapshots-role";
  /** The session tokens issued, in order. */
  readonly tokens: string[] = [];
  readonly mode: ImdsMode;

  constructor(private readonly opts: ImdsServerOptions = {}) {
    super();
    this.mode = opts.mode ?? "v2";
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => this.answer(req) });
  }

  /** Each request as "METHOD path ttl token" ("-" for no TTL header). */
  trail(): string[] {
    return this.hits.map((h) => `${h.method} ${h.path} ${h.ttl ?? "-"} ${h.token}`);
  }

  private async answer(req: Request): Promise<Response> {
    const hit = await this.record(req, (h) => {
      const sent = h.headers["x-aws-ec2-metadata-token"];
      const ttl = h.headers["x-aws-ec2-metadata-token-ttl-seconds"];
      return { ...(ttl === undefined ? {} : { ttl }), token: sent === undefined ? "none" : this.tokens.includes(sent) ? "valid" : "invalid" };
    });
    const path = new URL(req.url).pathname;
    if (this.mode === "unavailable") return new Response("", { status: 503 });
    if (path === "/latest/api/token") {
      if (this.mode === "v1") return new Response("", { status: this.opts.tokenRefusal ?? 404 });
      if (hit.method !== "PUT") return new Response("", { status: 405 });
      const ttl = Number(hit.ttl);
      if (!hit.ttl || !Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return new Response("", { status: 400 });
      const token = `tok-${crypto.randomUUID()}`;
      this.tokens.push(token);
      return new Response(token, { headers: { "X-aws-ec2-metadata-token-ttl-seconds": String(ttl) } });
    }
    if (hit.method !== "GET") return new Response("", { status: 405 });
    if (hit.token === "invalid" || (hit.token === "none" && this.mode === "v2")) return new Response("", { status: 401 });
    const { hostname, credentials } = this.opts;
    if (path === "/latest/meta-data/hostname" && hostname !== undefined) return new Response(hostname, { headers: { "Content-Type": "text/plain" } });
    if (credentials && path === "/latest/meta-data/iam/security-credentials/") return new Response(this.role);
    if (credentials && path === `/latest/meta-data/iam/security-credentials/${this.role}`) return new Response(credentialJson(credentials));
    return new Response("", { status: 404 });
  }
}

/** The ECS agent's credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI), with a required token. */
export class EcsServer extends Recorder {
  constructor(
    private readonly creds: IssuedCredentials,
    readonly authToken: string,
  ) {
    super();
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => this.answer(req) });
  }
  private async answer(req: Request): Promise<Response> {
    const hit = await this.record(req);
    if (hit.headers.authorization !== this.authToken) return new Response("", { status: 401 });
    return hit.path === "/v2/credentials/abc" ? new Response(credentialJson(this.creds)) : new Response("", { status: 404 });
  }
  get fullUri(): string {
    return `${this.url}/v2/credentials/abc`;
  }
}

/** STS answering AssumeRoleWithWebIdentity for one role and one token. */
export class StsServer extends Recorder {
  constructor(
    private readonly creds: IssuedCredentials,
    readonly roleArn: string,
    readonly webToken: string,
  ) {
    super();
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => this.answer(req) });
  }
  private async answer(req: Request): Promise<Response> {
    const hit = await this.record(req);
    const form = new URLSearchParams(hit.body);
    if (form.get("Action") !== "AssumeRoleWithWebIdentity" || form.get("RoleArn") !== this.roleArn || form.get("WebIdentityToken") !== this.webToken) {
      return new Response(
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error></ErrorResponse>`,
        { status: 403, headers: { "Content-Type": "text/xml" } },
      );
    }
    const exp = (this.creds.expiration?.() ?? new Date(Date.now() + 3600_000)).toISOString().replace(/\.\d{3}Z$/, "Z");
    const token = this.creds.token ? `<SessionToken>${this.creds.token}</SessionToken>` : "";
    return new Response(
      `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>${this.creds.accessKeyId}</AccessKeyId><SecretAccessKey>${this.creds.secretAccessKey}</SecretAccessKey>${token}<Expiration>${exp}</Expiration></Credentials><SubjectFromWebIdentityToken>system:serviceaccount:kube-system:rke</SubjectFromWebIdentityToken></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
      { headers: { "Content-Type": "text/xml" } },
    );
  }
}
