/**
 * Secrets never reach a log line (S3 keys, tokens, passwords, PEM private keys, registry
 * credentials). Three rules, applied to the final text of the message and of every field:
 * 1. field names that denote a secret print as [REDACTED], whatever their value;
 * 2. registered secret values (e.g. the decoded S3 secret) are cut out wherever they appear;
 * 3. PEM private-key blocks and AWS access-key ids are cut out by shape.
 */
export const REDACTED = "[REDACTED]";

const SECRET_FIELD = /(secret|password|passwd|token|credential|private[-_]?key|access[-_]?key|authorization|auth$|session)/i;
const PEM_PRIVATE = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;
const AWS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g;
/** Shorter values are too likely to occur by accident to be cut out everywhere. */
const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Registers values to cut out of every later line. Empty and very short values are ignored. */
  add(...values: (string | undefined)[]): void {
    for (const v of values) if (v && v.length >= MIN_SECRET_LENGTH) this.secrets.add(v);
  }

  isSecretField(name: string): boolean {
    return SECRET_FIELD.test(name);
  }

  text(s: string): string {
    let out = s.replace(PEM_PRIVATE, "[REDACTED PRIVATE KEY]").replace(AWS_KEY_ID, REDACTED);
    // Longest first, so that a secret containing another is cut out whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }
}
