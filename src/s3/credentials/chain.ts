/**
 * Where credentials come from: the keys given (decoded by the caller), else the IAM chain as
 * minio-go's NewIAM walks it — web identity when its env is set, else the ECS container agent when
 * its env is set, else EC2 instance metadata. Temporary credentials are cached and fetched again
 * five minutes before they expire (a rolling container runs for months); concurrent callers share
 * one refresh.
 */
import { messageOf } from "../../errors.ts";
import type { Logger } from "../../log/logger.ts";
import { ecsUri, fetchEcsCredentials } from "./ecs.ts";
import { fetchImdsCredentials } from "./imds.ts";
import type { CredentialSource, Credentials, Env } from "./types.ts";
import { fetchWebIdentityCredentials } from "./web-identity.ts";

const REFRESH_BEFORE_MS = 5 * 60_000;

export function staticCredentials(accessKeyId: string, secretAccessKey: string): CredentialSource {
  const creds: Credentials = { accessKeyId, secretAccessKey };
  return { name: "static", get: async () => creds };
}

export class RefreshingCredentials implements CredentialSource {
  private current?: Credentials;
  private pending?: Promise<Credentials>;

  constructor(
    readonly name: string,
    private readonly fetchFn: (signal?: AbortSignal) => Promise<Credentials>,
    private readonly log?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async get(signal?: AbortSignal): Promise<Credentials> {
    const c = this.current;
    if (c && (!c.expiration || c.expiration.getTime() - REFRESH_BEFORE_MS > this.now())) return c;
    this.pending ??= this.fetchFn(signal)
      .then(
        (fresh) => {
          this.current = fresh;
          this.log?.addSecret(fresh.secretAccessKey, fresh.sessionToken);
          this.log?.debug(`fetched S3 credentials from ${this.name}`, { expires: fresh.expiration?.toISOString() ?? "never" });
          return fresh;
        },
        (e: unknown) => {
          // An early refresh that fails keeps the credentials that still work; the next call tries again.
          if (c?.expiration && c.expiration.getTime() > this.now()) {
            this.log?.warn(`could not refresh S3 credentials from ${this.name}; using the current ones until they expire`, { error: messageOf(e) });
            return c;
          }
          throw e;
        },
      )
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}

export function iamCredentials(env: Env, log?: Logger): CredentialSource {
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) {
    return new RefreshingCredentials("web identity", (s) => fetchWebIdentityCredentials(env, s), log);
  }
  if (ecsUri(env)) return new RefreshingCredentials("ECS container credentials", (s) => fetchEcsCredentials(env, s), log);
  return new RefreshingCredentials("EC2 instance metadata", (s) => fetchImdsCredentials(env, s), log);
}
