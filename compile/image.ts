/**
 * Builds package/Dockerfile with podman or docker, for one architecture, from a context directory
 * holding dist/rootfs/linux-<arch>/ (the repository root for `npm run image`, a temp dir for the
 * tests), and saves the result as a docker-archive that `docker load`, `podman load` and
 * `skopeo copy docker-archive:…` accept.
 */
import { renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT, type Arch } from "./build.ts";
import { type Engine, engineRun } from "./engine.ts";

export const DOCKERFILE = join(ROOT, "package/Dockerfile");
export const DOCKERIGNORE = join(ROOT, "package/Dockerfile.dockerignore");

/** Docker's architecture names for Bun's. */
export const DOCKER_ARCH: Record<Arch, string> = { x64: "amd64", arm64: "arm64" };

export function hostArch(): Arch {
  if (process.arch === "x64" || process.arch === "arm64") return process.arch;
  throw new Error(`Cannot build the image: no build for this machine's architecture '${process.arch}' (x64, arm64)`);
}

/** The build inputs of package/Dockerfile for the test image (docs/packaging.md). */
export function testImageArgs(baseRef: string): Record<string, string> {
  return { BASE_IMAGE: baseRef, TOOLBOX: "toolbox-ready", TOOLS: "tools-none" };
}

export interface BuildOptions {
  context: string;
  arch: Arch;
  tag: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** no registry: never pull (the base must already be in the engine) */
  offline?: boolean;
}

export function buildImage(engine: Engine, o: BuildOptions): void {
  const args = ["build", "-f", DOCKERFILE, "--platform", `linux/${DOCKER_ARCH[o.arch]}`, "-t", o.tag];
  for (const [k, v] of Object.entries(o.buildArgs ?? {})) args.push("--build-arg", `${k}=${v}`);
  for (const [k, v] of Object.entries(o.labels ?? {})) args.push("--label", `${k}=${v}`);
  if (engine.name === "podman") {
    // The default bridge network needs netavark/CNI set up; RUN steps need no network of their own.
    args.push("--ignorefile", DOCKERIGNORE, "--network", "host", "--isolation", "chroot");
    if (o.offline) args.push("--pull=never");
  } else if (o.offline) {
    args.push("--pull=false");
  }
  args.push(o.context);
  engineRun(engine, args, `building ${o.tag} from package/Dockerfile`);
}

/** Writes `ref` as a docker-archive to `file`: under a temp name beside it, then renamed (never half-written). */
export function saveImage(engine: Engine, ref: string, file: string): void {
  const part = `${file}.part-${process.pid}`;
  rmSync(part, { force: true }); // podman refuses to write into an existing archive
  const args = engine.name === "podman" ? ["save", "--format", "docker-archive", "-o", part, ref] : ["save", "-o", part, ref];
  try {
    engineRun(engine, args, `saving ${ref} to ${file}`);
    renameSync(part, file);
  } finally {
    rmSync(part, { force: true });
  }
}
