/**
 * A snapshot archive in tar form: the state file first (small, known before the snapshot starts,
 * so that `list` learns whether there is one from the first header), then the etcd snapshot,
 * whose size the caller tells once etcd's first message has arrived (archive/tar-writer.ts).
 */
import type { ArchiveFormat } from "../archive/format.ts";
import { compressionOf } from "../archive/tar-compression.ts";
import { TarWriter } from "../archive/tar-writer.ts";
import type { ByteSink } from "../fs/sink.ts";
import { entryNames } from "./layout.ts";

export interface SnapshotTarInput {
  name: string;
  snapshot: AsyncIterable<Uint8Array>;
  /** The snapshot's byte count (trailer included), asked after its first chunk. */
  snapshotSize: () => number | undefined;
  state?: { data: Uint8Array; mode: number };
}

/** Writes the whole archive into `sink`; returns its size in bytes. The caller commits the sink. */
export async function writeSnapshotTar(
  sink: ByteSink,
  format: Exclude<ArchiveFormat, "zip">,
  input: SnapshotTarInput,
  opts: { signal?: AbortSignal; level?: number } = {},
): Promise<number> {
  const names = entryNames(input.name, format);
  const tar = new TarWriter(sink, { compression: compressionOf(format), level: opts.level, signal: opts.signal });
  if (input.state) await tar.add(names.state, input.state.mode, input.state.data, { size: input.state.data.byteLength });
  await tar.add(names.snapshot, 0o600, input.snapshot, { size: input.snapshotSize });
  return tar.finish();
}
