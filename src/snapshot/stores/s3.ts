/**
 * An S3 bucket (and folder) as a store: objects under the keys of snapshot/layout.ts. Built from
 * an S3Config, it connects on first use, so that a command checks its S3 flags before touching
 * anything local and talks to S3 only when it gets there (delete: local first, as the original);
 * or from a client already connected. The s3-*.ts files beside it are the only code that knows
 * both S3 and the snapshot layout; src/s3 knows no snapshot.
 */
import { basename, join } from "node:path";
import { contentTypeOf } from "../../archive/format.ts";
import { ErrorCode, RkeToolsError } from "../../errors.ts";
import { AtomicFile } from "../../fs/atomic.ts";
import { silentLogger, type Logger } from "../../log/logger.ts";
import type { ProgressPolicy } from "../../log/progress.ts";
import type { S3Client, S3Config } from "../../s3/index.ts";
import { SHA256_META } from "../../s3/sha256.ts";
import { archiveFileName, archiveFileNames, s3Key } from "../layout.ts";
import { listS3 } from "./s3-list.ts";
import type { RotateOptions } from "./s3-rotation.ts";
import type { SnapshotStore, StoreOptions, StoredCopy } from "./store.ts";

export type S3Store = SnapshotStore & {
  client(signal?: AbortSignal): Promise<S3Client>;
  /** `download --s3-backup`: the snapshot's archive (or raw object) kept in `dir` under its key's last part; returns that path. */
  download(name: string, dir: string, opts: StoreOptions & { progress?: ProgressPolicy }): Promise<string>;
  /** Rolling retention, the original's S3 rule (s3-rotation.ts); returns the keys deleted, never throws. */
  rotate(cutoff: Date, opts: RotateOptions): Promise<string[]>;
};

/** The bucket by its config (connected on first use), or by a client already connected. */
export type S3Source = { config: S3Config } | { client: S3Client };

export function s3Store(source: S3Source, opts: { log: Logger; tmpDir: string }): S3Store {
  const config = "client" in source ? source.client.config : source.config;
  let client: S3Client | undefined = "client" in source ? source.client : undefined; // kept once it works (rolling mode uploads every tick)
  const connect = async (signal?: AbortSignal, log = opts.log) => {
    if (client) return client;
    const { createS3Client } = await import("../../s3/client.ts"); // src/s3 is loaded only when a command gets to S3
    return (client = await createS3Client(config, { log, signal }));
  };
  const keysOf = (name: string) => [...archiveFileNames(name), name].map((n) => s3Key(config.folder, n));
  return {
    location: "s3",
    whereField: "key",
    readsInPlace: false,
    client: (signal) => connect(signal),
    list: async (o = {}) => listS3(await connect(o.signal), { signal: o.signal }),
    async stat(name, o = {}) {
      const c = await connect(o.signal);
      const copies: StoredCopy[] = [];
      for (const key of keysOf(name)) {
        const head = await c.headObject(key, { signal: o.signal });
        if (!head) continue;
        const sha = head.metadata[SHA256_META];
        copies.push({ where: key, label: `s3://${c.bucket}/${key}`, size: head.size, stored: sha ? { sha256: sha, from: "x-amz-meta-sha256" } : undefined });
      }
      return copies;
    },
    absent: (name) => `none of ${keysOf(name).join(", ")} is in bucket ${config.bucket}`,
    /** Into a temporary file in the backup folder (a zip needs random access), removed on release. */
    async fetch(copy, o = {}) {
      const c = await connect(o.signal);
      const file = await AtomicFile.create(join(opts.tmpDir, basename(copy.where)));
      try {
        const res = await c.request("GET", copy.where, { signal: o.signal });
        await file.appendBody(res); // Bun's native writer: as fast as curl, flat memory (docs/decisions.md, S3 download speed)
        if (file.written !== copy.size) throw new RkeToolsError(ErrorCode.S3, `s3 object ${copy.where} delivered ${file.written} of ${copy.size} bytes`);
      } catch (e) {
        await file.abort();
        throw e;
      }
      return { path: file.tempPath, release: () => file.abort() }; // never kept: it was only read
    },
    /** Found by listing, resumed and verified (s3-snapshots.ts); unlike `fetch`, the file stays. */
    async download(name, dir, o) {
      const { downloadSnapshot } = await import("./s3-snapshots.ts");
      const log = o.log ?? opts.log;
      return downloadSnapshot(await connect(o.signal, log), name, dir, { log, signal: o.signal, progress: o.progress });
    },
    async remove(name, o = {}) {
      const { deleteSnapshot } = await import("./s3-snapshots.ts");
      // Exactly [folder/]<name> and [folder/]<name>.zip (and the tar formats), not every key with that prefix (docs/contract.md §d-18a).
      return deleteSnapshot(await connect(o.signal, o.log), name, { log: o.log, signal: o.signal });
    },
    async put(file, name, format, o = {}) {
      const s3 = await import("../../s3/upload.ts");
      const log = o.log ?? silentLogger;
      const key = s3Key(config.folder, archiveFileName(name, format));
      await s3.uploadFile(await connect(o.signal, log), file, key, {
        log,
        signal: o.signal,
        sha256: o.sha256,
        progress: o.progress,
        name,
        contentType: contentTypeOf(format),
        retry: s3.uploadRetryPolicy(o.retries ?? 0),
      });
    },
    async rotate(cutoff, o) {
      const { rotateSnapshots } = await import("./s3-rotation.ts");
      return rotateSnapshots(await connect(o.signal, o.log), cutoff, o);
    },
  };
}
