/**
 * Local credential servers on loopback speaking the real wire protocols, for the IAM chain:
 * EC2 instance metadata (IMDSv2: PUT /latest/api/token, then GETs carrying the token; or IMDSv1
 * only), the ECS container credentials endpoint, and STS AssumeRoleWithWebIdentity. Each records
 * what it was asked, so tests can check the protocol steps.
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

abstract class Recorder {
  readonly hits: Hit[] = [];
  protected server!: Server<undefined>;
  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }
  async stop(): Promise<void> {
    await this.server.stop(true);
  }
  protected async record(req: Request): Promise<Hit> {
    const u = new URL(req.url);
    const hit: Hit = { method: req.method, path: u.pathname + u.search, headers: Object.fromEntries(req.headers), body: await req.text() };
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

/** EC2 instance metadata. `mode: "v2"` requires the session token; `"v1"` refuses tokens (405). */
export class ImdsServer extends Recorder {
  readonly role = "rke-snapshots-role";
  private readonly tokens = new Set<string>();

  constructor(
    private readonly creds: IssuedCredentials,
    readonly mode: "v2" | "v1" = "v2",
  ) {
    super();
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => this.answer(req) });
  }

  private async answer(req: Request): Promise<Response> {
    const hit = await this.record(req);
    if (hit.method === "PUT" && hit.path === "/latest/api/token") {
      if (this.mode === "v1") return new Response("", { status: 405 });
      const ttl = Number(hit.headers["x-aws-ec2-metadata-token-ttl-seconds"]);
      if (!(ttl >= 1 && ttl <= 21600)) return new Response("", { status: 400 });
      const token = `tok-${crypto.randomUUID()}`;
      this.tokens.add(token);
      return new Response(token, { headers: { "X-aws-ec2-metadata-token-ttl-seconds": String(ttl) } });
    }
    if (hit.method !== "GET") return new Response("", { status: 405 });
    if (this.mode === "v2" && !this.tokens.has(hit.headers["x-aws-ec2-metadata-token"] ?? "")) return new Response("", { status: 401 });
    if (hit.path === "/latest/meta-data/iam/security-credentials/") return new Response(this.role);
    if (hit.path === `/latest/meta-data/iam/security-credentials/${this.role}`) return new Response(credentialJson(this.creds));
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
