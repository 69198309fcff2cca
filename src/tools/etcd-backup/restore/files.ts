/**
 * Where the restore commands read and write, from the (relocatable) production paths, and the
 * name check they share: names are validated before anything is touched (the original reduced
 * them to their base name, or let them escape /backup: docs/contract.md §o-4, §o-14.2).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { archiveFileNames } from "../../../archive/format.ts";
import { zipFileName } from "../../../archive/layout.ts";
import type { Paths } from "../../../fs/paths.ts";

export const zipPathOf = (paths: Paths, name: string) => join(paths.backup, zipFileName(name));
export const rawPathOf = (paths: Paths, name: string) => join(paths.backup, name);
/** Every archive path the snapshot may have: `<name>.zip`, `.tar.gz`, `.tar.zst` (docs/archive-formats.md). */
export const archivePathsOf = (paths: Paths, name: string) => archiveFileNames(name).map((f) => join(paths.backup, f));
/** The snapshot's archive that exists, the zip first; the zip's path when none does (errors name what RKE expects). */
export const archivePathOf = (paths: Paths, name: string) => archivePathsOf(paths, name).find((p) => existsSync(p)) ?? zipPathOf(paths, name);
/** extractstatefile's output; RKE `docker cp`s it out of the container (docs/contract.md §a.4). */
export const statePathOf = (paths: Paths) => join(paths.tmp, "cluster.rkestate");
