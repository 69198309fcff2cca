/**
 * The glibc files a Bun executable needs (its DT_NEEDED list plus the loader), taken from the
 * Debian machine that packages: libc6 for x64, libc6:arm64 (multi-arch) or else the cross
 * package libc6-arm64-cross for arm64. Loader and libc must come from the same build, so all five
 * come from one directory.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, RkeToolsError } from "../src/errors.ts";
import type { Arch } from "./build.ts";

export const LOADER: Record<Arch, string> = { x64: "ld-linux-x86-64.so.2", arm64: "ld-linux-aarch64.so.1" };
export const LIBS = ["libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2"] as const;

/** Where the files may be, best first: the native (or multi-arch) package before the cross one. */
export const GLIBC_DIRS: Record<Arch, string[]> = {
  x64: ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/x86_64-linux-gnu/lib"],
  arm64: ["/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/aarch64-linux-gnu/lib"],
};

export interface Glibc {
  arch: Arch;
  dir: string;
  /** File names to ship; the loader first. */
  files: string[];
  /** Debian package and version the files belong to, for the manifest ("unknown" off Debian). */
  pkg: string;
  version: string;
}

export function glibcFiles(arch: Arch): string[] {
  return [LOADER[arch], ...LIBS];
}

function dpkgOwner(path: string): { pkg: string; version: string } {
  const s = spawnSync("dpkg", ["-S", path], { encoding: "utf8" });
  const pkg = s.status === 0 ? s.stdout.split(":").slice(0, -1).join(":").split(",")[0]!.trim() : "";
  if (!pkg) return { pkg: "unknown", version: "unknown" };
  const q = spawnSync("dpkg-query", ["-W", "-f=${Version}", pkg], { encoding: "utf8" });
  return { pkg, version: q.status === 0 ? q.stdout.trim() : "unknown" };
}

export function findGlibc(arch: Arch, dirs: string[] = GLIBC_DIRS[arch]): Glibc {
  const files = glibcFiles(arch);
  const dir = dirs.find((d) => files.every((f) => existsSync(join(d, f))));
  if (!dir) {
    const hint = arch === "arm64" ? "apt-get install libc6-arm64-cross" : "apt-get install libc6";
    throw new RkeToolsError(ErrorCode.NotFound, `Cannot find glibc for linux-${arch}: none of ${dirs.join(", ")} holds ${files.join(", ")} (${hint})`);
  }
  return { arch, dir, files, ...dpkgOwner(join(dir, "libc.so.6")) };
}
