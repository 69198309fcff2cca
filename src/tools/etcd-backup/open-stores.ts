/**
 * The stores a command works on: the backup folder, and the bucket when `--s3-backup` is set. The
 * one place where the S3 flags become a store (flags → S3Config → src/snapshot/stores/s3.ts).
 */
import type { Paths } from "../../fs/paths.ts";
import type { Logger } from "../../log/logger.ts";
import { localStore } from "../../snapshot/stores/local.ts";
import type { S3Store } from "../../snapshot/stores/s3.ts";
import type { SnapshotStore } from "../../snapshot/stores/store.ts";
import type { S3Flags } from "./s3-flags.ts";

/**
 * The S3 store from the flags, checked now (one clear line naming the flag) and connected on
 * first use; src/s3 is loaded only here.
 */
export async function s3StoreFromFlags(flags: S3Flags, env: Record<string, string | undefined>, opts: { log: Logger; paths: Paths }): Promise<S3Store> {
  const [{ s3Store }, { s3ConfigFromFlags }] = await Promise.all([import("../../snapshot/stores/s3.ts"), import("./s3-flags.ts")]);
  return s3Store({ config: s3ConfigFromFlags(flags, env, { log: opts.log }) }, { log: opts.log, tmpDir: opts.paths.backup });
}

export async function openStores(
  which: { local: boolean; s3: boolean },
  flags: S3Flags,
  env: Record<string, string | undefined>,
  opts: { log: Logger; paths: Paths },
): Promise<SnapshotStore[]> {
  const s3 = which.s3 ? await s3StoreFromFlags(flags, env, opts) : undefined; // bad S3 flags fail before anything local happens
  return [...(which.local ? [localStore(opts.paths.backup)] : []), ...(s3 ? [s3] : [])];
}
