/** The backup folder as a store: files under the names of snapshot/layout.ts. */
import { createReadStream, promises as fsp } from "node:fs";
import { resolve } from "node:path";
import { streamToFileAtomic } from "../../fs/atomic.ts";
import { archiveFileNames, archivePath, archivePaths, rawPath } from "../layout.ts";
import { deleteLocal } from "./local-delete.ts";
import { listLocal } from "./local-list.ts";
import type { SnapshotStore, StoredCopy } from "./store.ts";

export function localStore(backupDir: string): SnapshotStore {
  const dir = backupDir;
  return {
    location: "local",
    whereField: "path",
    readsInPlace: true,
    list: (opts = {}) => listLocal(dir, { signal: opts.signal }),
    async stat(name) {
      const copies: StoredCopy[] = [];
      for (const path of [...archivePaths(dir, name), rawPath(dir, name)]) {
        const st = await fsp.stat(path).catch(() => undefined);
        if (st?.isFile()) copies.push({ where: path, label: path, size: st.size });
      }
      return copies;
    },
    absent: (name) => `none of ${archiveFileNames(name).join(", ")} or ${name} is in ${dir}`,
    fetch: async (copy) => ({ path: copy.where, release: async () => {} }),
    remove: (name, opts = {}) => deleteLocal(name, { backupDir: dir, cleanup: opts.cleanup, log: opts.log }),
    /** save writes its archives here in place; any other file is copied in atomically. */
    async put(file, name, format, opts = {}) {
      const dest = archivePath(dir, name, format);
      if (resolve(file) === resolve(dest)) return;
      await streamToFileAtomic(dest, createReadStream(file), { signal: opts.signal });
    },
  };
}
