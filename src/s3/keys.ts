/**
 * The keys of a set that a listing holds: each listed key, or its URL-unescaped form (GCS lists some
 * keys escaped), that is in `wanted`, in listing order. Download takes the first, delete all of them.
 */
import type { Logger } from "../log/logger.ts";
import { queryUnescape, type S3Client } from "./client.ts";

/** Lists `prefix` one level deep; `log` gets a debug line for every key listed. */
export async function* keysAmong(client: S3Client, prefix: string, wanted: ReadonlySet<string>, opts: { log?: Logger; signal?: AbortSignal } = {}): AsyncGenerator<string> {
  for await (const obj of client.list(prefix, { signal: opts.signal })) {
    opts.log?.debug(`found key: [${obj.key}]`);
    if (wanted.has(obj.key)) {
      yield obj.key;
      continue;
    }
    const unescaped = queryUnescape(obj.key);
    if (unescaped !== undefined && wanted.has(unescaped)) yield unescaped;
  }
}
