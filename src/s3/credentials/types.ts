/** AWS credentials and where they come from. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials stop working; undefined for static keys. */
  expiration?: Date;
}

export interface CredentialSource {
  /** For log lines: "static", "web identity", "ECS container", "EC2 instance metadata (IMDSv2)". */
  readonly name: string;
  /** Valid credentials, refreshed before they expire. */
  get(signal?: AbortSignal): Promise<Credentials>;
}

export type Env = Record<string, string | undefined>;
