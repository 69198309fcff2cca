/**
 * `npm run package`: builds the executable for each architecture and assembles the image's own
 * files as dist/rootfs/linux-<arch>/ (see compile/rootfs.ts), for package/Dockerfile.
 *
 *   bun package/assemble.ts                 # linux-x64 and linux-arm64
 *   bun package/assemble.ts --arch x64      # one architecture
 *   bun package/assemble.ts --no-build      # reuse dist/linux-<arch>/rke-tools
 */
import { ARCHES, binaryPath, build, type Arch } from "../compile/build.ts";
import { assembleRootfs, rootfsDir } from "../compile/rootfs.ts";

const args = process.argv.slice(2);
const only = args.includes("--arch") ? args[args.indexOf("--arch") + 1] : undefined;
const arches: readonly Arch[] = only === undefined ? ARCHES : ARCHES.filter((a) => a === only);
if (arches.length === 0) {
  process.stderr.write(`package: --arch must be one of ${ARCHES.join(", ")}, not '${only}'\n`);
  process.exit(2);
}
for (const arch of arches) {
  if (!args.includes("--no-build")) build(arch);
  const m = assembleRootfs(arch, binaryPath(arch));
  const fixed = m.executable.fixed.length ? `; fixed ${m.executable.fixed.join(", ")}` : "";
  process.stdout.write(
    `assembled ${rootfsDir(arch)}: ${m.executable.bytesAfter} B executable, interpreter ${m.executable.interpreter}${fixed}; glibc ${m.glibc.package} ${m.glibc.version}\n`,
  );
}
