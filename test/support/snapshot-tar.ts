/** A snapshot's tar archive (tar.gz, tar.zst) as save writes it — state file first, mode 0400 — for fixtures. */
import type { ArchiveFormat } from "../../src/archive/format.ts";
import { AtomicFile } from "../../src/fs/atomic.ts";
import { createSnapshotArchive } from "../../src/snapshot/archive.ts";

export async function makeSnapshotTar(path: string, format: Exclude<ArchiveFormat, "zip">, name: string, snapshot: Uint8Array, state?: Uint8Array): Promise<string> {
  const file = await AtomicFile.create(path);
  await createSnapshotArchive(file, format, {
    name,
    snapshot: (async function* () {
      yield snapshot;
    })(),
    snapshotSize: () => snapshot.byteLength,
    state: state && { data: state, mode: 0o400 },
  });
  await file.commit();
  return path;
}
