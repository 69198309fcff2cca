/** The backup folder as a store: files under the names of snapshot/layout.ts. */
import { promises as fsp } from "node:fs";
import type { Paths } from "../../../fs/paths.ts";
import { archiveFileNames, archivePaths, rawPath } from "../../../snapshot/layout.ts";
import { listLocal } from "../inspect/list.ts";
import { deleteLocal } from "../restore/delete-local.ts";
import type { SnapshotStore, StoredCopy } from "./store.ts";

export function localStore(paths: Paths): SnapshotStore {
  const dir = paths.backup;
  return {
    location: "local",
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
    remove: (name, opts = {}) => deleteLocal(name, { paths, cleanup: opts.cleanup, log: opts.log }),
  };
}
