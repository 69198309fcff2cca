/**
 * package/Dockerfile, read statically (no Docker engine here): it copies only trees the assembler
 * makes, sets no ENV (docs/contract.md §d-9), declares the volume, and installs the toolbox of docs/contract.md §d-4.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ARCHES, ROOT } from "../../compile/build.ts";
import { layout } from "../../compile/rootfs.ts";

const text = readFileSync(join(ROOT, "package/Dockerfile"), "utf8");
/** Instructions with continuation lines joined and comments dropped: [keyword, rest]. */
const instructions: [string, string][] = text
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"))
  .map((l) => {
    const m = /^(\w+)\s+(.*)$/.exec(l)!;
    return [m[1]!.toUpperCase(), m[2]!];
  });
const stages = instructions.reduce<[string, string][][]>((acc, ins) => {
  if (ins[0] === "FROM") acc.push([]);
  acc[acc.length - 1]?.push(ins);
  return acc;
}, []);
const final = stages[stages.length - 1]!;
const all = (kw: string, list = instructions) => list.filter(([k]) => k === kw).map(([, rest]) => rest);

describe("package/Dockerfile", () => {
  test("copies each architecture's tree from dist/rootfs/linux-<arch>/, the Docker arch mapped to Bun's", () => {
    const copies = all("COPY").filter((c) => !c.startsWith("--from="));
    expect(copies.sort()).toEqual(ARCHES.map((a) => `dist/rootfs/linux-${a}/ /`).sort());
    expect(all("FROM")).toContain("rootfs-${TARGETARCH} AS rootfs");
    expect(all("COPY", final)).toContain("--from=rootfs / /");
  });

  test("sets no ENV at all: no name can collide with what RKE passes (CP_HOSTS, S3_*, ETCD_*, RKE_*, KUBE_*)", () => {
    expect(all("ENV")).toEqual([]);
  });

  test("declares VOLUME /opt/rke-tools, clears ENTRYPOINT, and ends with a silent CMD", () => {
    expect(all("VOLUME", final)).toEqual(["/opt/rke-tools"]);
    expect(all("ENTRYPOINT", final)).toEqual(["[]"]);
    expect(all("CMD", final)).toEqual(['["/bin/bash"]']);
    const kinds = final.map(([k]) => k);
    expect(kinds.lastIndexOf("CMD")).toBeGreaterThan(kinds.lastIndexOf("ENTRYPOINT")); // ENTRYPOINT resets CMD
  });

  test("names only /opt/rke-tools paths that the tree or the tools stage provides", () => {
    const tree = new Set(layout("x64").map((e) => e.path));
    const named = [...text.matchAll(/\/opt\/rke-tools(?:\/[\w.-]+)+/g)].map((m) => m[0]);
    for (const p of named) expect({ p, known: tree.has(p) || p.startsWith("/out/") || /^\/opt\/rke-tools\/bin(\/|$)/.test(p) }).toEqual({ p, known: true });
  });

  test("installs the toolbox of docs/contract.md §d-4", () => {
    const run = all("RUN").join("\n");
    expect(run).toContain("ln -sf /bin/bash /bin/sh");
    expect(run).toMatch(/apk add --no-cache [^\n]*\bbash\b[^\n]*\bacl\b[^\n]*\btar\b/);
    expect(all("ARG")).toContainEqual(expect.stringMatching(/^ETCD_VERSION=v3\.5\.\d+$/)); // 3.6 dropped snapshot restore
    for (const out of [
      "-C /out/opt/rke-tools/bin --strip-components=1 docker/docker",
      "-C /out/opt/rke-tools/bin --strip-components=1 cri-dockerd/cri-dockerd",
      "/etcdctl",
      "-C /out/tmp",
    ])
      expect(run).toContain(out);
    expect(run).toContain("/out/tmp/loopback /out/tmp/portmap");
    expect(all("COPY", final)).toContain("--from=tools /out/ /");
  });

  test("no kubectl: no container RKE runs from this image calls it (addon jobs and the ConfigMap state read use the hyperkube image)", () => {
    expect(all("RUN").join("\n")).not.toContain("kubectl");
    expect(all("ARG")).not.toContainEqual(expect.stringMatching(/^KUBECTL_VERSION/));
  });

  test("base, toolbox and third-party tools are build inputs whose defaults are the production ones", () => {
    const args = all(
      "ARG",
      instructions.slice(
        0,
        instructions.findIndex(([k]) => k === "FROM"),
      ),
    ); // global ARGs
    expect(args).toEqual(expect.arrayContaining(["BASE_IMAGE=nginx:1.27.1-alpine", "TOOLBOX=toolbox-alpine", "TOOLS=tools-download"]));
    const named = all("FROM")
      .map((f) => f.split(/\s+AS\s+/i)[1])
      .filter(Boolean);
    for (const stage of ["toolbox-alpine", "toolbox-ready", "tools-download", "tools-none"]) expect(named).toContain(stage);
    expect(all("FROM")).toContain("${TOOLS} AS tools");
    expect(all("FROM").at(-1)).toBe("${TOOLBOX}");
  });

  test("its .dockerignore sends only the assembled trees", () => {
    const ignore = readFileSync(join(ROOT, "package/Dockerfile.dockerignore"), "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(ignore).toEqual(["*", ...ARCHES.map((a) => `!dist/rootfs/linux-${a}/`)]);
  });
});
