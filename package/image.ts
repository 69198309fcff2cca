/**
 * `npm run image`: builds the image for this machine's architecture with podman or docker and
 * saves it as dist/rke-tools-ts-<version>-<arch>.tar (a docker-archive: `docker load`,
 * `podman load`, `skopeo copy docker-archive:…` accept it), then prints the image and layer sizes.
 *
 *   bun package/image.ts                    # production image: upstream base + downloaded tools
 *   bun package/image.ts --offline          # test image: Debian-made base, no registry (docs/packaging.md)
 *   bun package/image.ts --engine docker    # pick the engine (default: podman, else docker)
 *   bun package/image.ts --no-build         # reuse dist/linux-<arch>/rke-tools
 */
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { binaryPath, build, ROOT } from "../compile/build.ts";
import { findEngine, imageSizes, mb } from "../compile/engine.ts";
import { buildImage, DOCKER_ARCH, hostArch, saveImage, testImageArgs } from "../compile/image.ts";
import { assembleRootfs, rootfsDir } from "../compile/rootfs.ts";
import { testBase } from "../compile/test-base.ts";

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const offline = args.includes("--offline");
const say = (line: string) => process.stdout.write(`${line}\n`);

function main(): void {
  const engine = findEngine(flag("--engine"));
  if (!engine) {
    const which = flag("--engine") ?? "podman or docker";
    throw new Error(`Cannot build the image: ${which} not found on PATH (apt-get install podman, or install Docker)`);
  }
  const arch = hostArch();
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const t0 = performance.now();
  if (!args.includes("--no-build") || !existsSync(binaryPath(arch))) build(arch);
  assembleRootfs(arch, binaryPath(arch));
  say(`assembled ${rootfsDir(arch)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  let buildArgs: Record<string, string> = { VERSION: version };
  if (offline) {
    const t = performance.now();
    const base = testBase(engine, { log: say });
    say(`test base ${base.ref}${base.made ? " (made)" : " (cached)"} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    buildArgs = { ...buildArgs, ...testImageArgs(base.ref) };
  }
  const suffix = offline ? "-test" : "";
  const tag = `localhost/rke-tools-ts:${version}${suffix}`;
  const t1 = performance.now();
  buildImage(engine, { context: ROOT, arch, tag, buildArgs, offline });
  say(`built ${tag} with ${engine.name} in ${((performance.now() - t1) / 1000).toFixed(1)} s`);

  mkdirSync(join(ROOT, "dist"), { recursive: true });
  const file = join(ROOT, "dist", `rke-tools-ts-${version}-${DOCKER_ARCH[arch]}${suffix}.tar`);
  saveImage(engine, tag, file);
  const sizes = imageSizes(engine, tag);
  say(`image ${tag}: ${mb(sizes.total)} uncompressed; archive ${file}: ${mb(statSync(file).size)}`);
  for (const l of sizes.layers) say(`  layer ${mb(l.bytes).padStart(10)}  ${l.createdBy.slice(0, 110)}`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`image: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
