/**
 * Where a snapshot called `name` lives: the whole naming scheme in one table, so that no other
 * module builds a snapshot's file name, entry name or S3 key by hand.
 *
 * | what                                   | name                                                   |
 * |----------------------------------------|--------------------------------------------------------|
 * | archive file, per format               | `<backup>/<name>.zip` (RKE's), `.tar.gz`, `.tar.zst`   |
 * | raw snapshot (serve, download, verify) | `<backup>/<name>`                                      |
 * | snapshot entry in the archive          | zip `/backup/<name>`, tar `backup/<name>`              |
 * | state entry in the archive             | zip `/etc/kubernetes/<name>.rkestate`, tar without `/` |
 * | state file RKE leaves for `save`       | `<kubernetes>/<name>.rkestate`                         |
 * | extractstatefile's output              | `<tmp>/cluster.rkestate`                               |
 * | S3 object                              | `[<folder>/]<file name>`, the folder verbatim          |
 *
 * The zip keeps the original's absolute entry names (docs/contract.md §b-3, §o-5); tar writes
 * paths as tar does, without the leading slash, so `tar -xf` never warns or escapes
 * (docs/archive-formats.md). Which entry answers for a name is entries.ts.
 */
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { ARCHIVE_FORMATS, formatOfFileName, type ArchiveFormat } from "../archive/format.ts";

/** `<name>.zip`, `<name>.tar.gz`, `<name>.tar.zst` */
export const archiveFileName = (name: string, format: ArchiveFormat) => `${name}.${format}`;

/** Every archive file name a snapshot may have, the default format first. */
export const archiveFileNames = (name: string) => ARCHIVE_FORMATS.map((f) => archiveFileName(name, f));

/**
 * The snapshot name and format of an archive file name, or undefined for anything else
 * (`x.zip` → {name: "x", format: "zip"}). The longest suffix wins, so `x.tar.gz` is never "x.tar".
 */
export function parseArchiveFileName(fileName: string): { name: string; format: ArchiveFormat } | undefined {
  const format = formatOfFileName(fileName);
  return format && { name: fileName.slice(0, -format.length - 1), format };
}

/** The zip's entry names, as every RKE reader looks them up. */
export const snapshotEntryName = (name: string) => `/backup/${name}`;
export const stateEntryName = (name: string) => `/etc/kubernetes/${name}.rkestate`;

/** Entry names inside the archive: absolute in the zip (RKE's readers), relative in tar. */
export function entryNames(name: string, format: ArchiveFormat): { snapshot: string; state: string } {
  if (format === "zip") return { snapshot: snapshotEntryName(name), state: stateEntryName(name) };
  return { snapshot: `backup/${name}`, state: `etc/kubernetes/${name}.rkestate` };
}

/** The entry names of `name` in the archive file `fileName`, by its suffix; the zip's (RKE's) for any other. */
export const entryNamesIn = (fileName: string, name: string) => entryNames(name, parseArchiveFileName(basename(fileName))?.format ?? "zip");

export const archivePath = (backupDir: string, name: string, format: ArchiveFormat = "zip") => join(backupDir, archiveFileName(name, format));
export const rawPath = (backupDir: string, name: string) => join(backupDir, name);
/** Every archive path the snapshot may have: `<name>.zip`, `.tar.gz`, `.tar.zst`. */
export const archivePaths = (backupDir: string, name: string) => archiveFileNames(name).map((f) => join(backupDir, f));
/** The snapshot's archive that exists, the zip first; the zip's path when none does (errors name what RKE expects). */
export const existingArchivePath = (backupDir: string, name: string) => archivePaths(backupDir, name).find((p) => existsSync(p)) ?? archivePath(backupDir, name);

/** The state file RKE copies in before `save --once` (docs/contract.md §b-4). */
export const stateFilePath = (kubernetesDir: string, name: string) => join(kubernetesDir, `${name}.rkestate`);
/** extractstatefile's output; RKE `docker cp`s it out of the container (docs/contract.md §a.4). */
export const extractedStatePath = (tmpDir: string) => join(tmpDir, "cluster.rkestate");

/** `[folder/]<file>`: the folder verbatim, as the original builds keys (docs/contract.md §b-5). */
export const s3Key = (folder: string, file: string) => (folder === "" ? file : `${folder}/${file}`);

/** Files in /backup that are RKE's own and never snapshots (docs/contract.md §b-2). */
export const NOT_SNAPSHOTS: ReadonlySet<string> = new Set(["pki.bundle.tar.gz"]);
