/** The one-liner the commands use: validated flags → a checked client (createS3Client). */
import type { Logger } from "../log/logger.ts";
import { createS3Client, type S3Client } from "./client.ts";
import { s3ConfigFromFlags, type S3Config, type S3Flags } from "./config.ts";
import type { Env } from "./credentials/types.ts";

export async function connectFromFlags(flags: S3Flags | S3Config, env: Env, opts: { log?: Logger; signal?: AbortSignal } = {}): Promise<S3Client> {
  const config = "scheme" in flags ? flags : s3ConfigFromFlags(flags, env, { log: opts.log });
  return createS3Client(config, opts);
}
