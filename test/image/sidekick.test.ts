/**
 * service-sidekick and the Kubernetes components that run our entrypoint from its volume
 * (docs/contract.md §a.1; rancher/rke cluster/plan.go BuildSidecarProcess, BuildSchedulerProcess,
 * BuildKubeProxyProcess), plus what the image's default command does (rke-selinux-checker).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describeWith } from "../support/components.ts";
import { cname, create, type ContainerSpec, engineInit, imageComponents, inspect, logs, remove, runOnce, start, testImages, until, workDir } from "./support.ts";

describeWith(imageComponents, "image: service-sidekick and the components on its volume", () => {
  let img: ReturnType<typeof testImages>;
  let node: string;
  const made: string[] = [];

  beforeAll(() => {
    img = testImages();
    node = join(workDir(), "sidekick-node");
    mkdirSync(join(node, "etc/kubernetes"), { recursive: true });
    mkdirSync(join(node, "run"), { recursive: true });
    mkdirSync(join(node, "lib/modules"), { recursive: true });
    // RKE: Entrypoint ["/bin/bash"], no Cmd, NetworkMode none, no restart policy; created, never started.
    made.push(create({ name: "service-sidekick", image: img.image, entrypoint: ["/bin/bash"], network: "none" }));
    engineInit(made[0]!); // podman fills the anonymous volume here; Docker at create
  }, 900_000);

  afterAll(() => remove(...made));

  /** Starts a component container and returns the line its stand-in printed, and the container's PID. */
  async function component(spec: Omit<ContainerSpec, "image" | "volumesFrom">): Promise<{ line: string | undefined; pid: number }> {
    const name = create({ ...spec, image: img.hyperkube, volumesFrom: [cname("service-sidekick")] });
    made.push(name);
    start(name);
    const s = await until(name, "running with the component's line in its log", (st) => st.Running && logs(name).stdout.includes("pid="), 60_000);
    return {
      line: logs(name)
        .stdout.split("\n")
        .find((l) => l.startsWith("pid=")),
      pid: s.Pid,
    };
  }

  test("the sidekick is created and never started", () => {
    const s = inspect(cname("service-sidekick"));
    expect({ running: s.Running, status: s.Status, startedAt: s.StartedAt }).toEqual({ running: false, status: "initialized", startedAt: "0001-01-01T00:00:00Z" });
  });

  test("kube-scheduler (a foreign image, --volumes-from) runs /opt/rke-tools/entrypoint.sh, which execs the component as PID 1", async () => {
    const argv = [
      "kube-scheduler",
      "--kubeconfig=/etc/kubernetes/ssl/kubecfg-kube-scheduler.yaml",
      "--authentication-kubeconfig=/etc/kubernetes/ssl/kubecfg-kube-scheduler.yaml",
      "--v=2",
    ];
    const { line } = await component({
      name: "kube-scheduler",
      entrypoint: ["/opt/rke-tools/entrypoint.sh", ...argv],
      binds: [`${node}/etc/kubernetes:/etc/kubernetes`],
      network: "host",
      restart: "always",
    });
    expect(line).toBe(`pid=1 comm=kube-scheduler argv0=kube-scheduler args=${argv.slice(1).join(" ")}`);
  }, 120_000);

  test("kube-proxy (host PID namespace, privileged) is exec'd in place: the container's own process becomes the component", async () => {
    const argv = ["kube-proxy", "--cluster-cidr=10.42.0.0/16", "--hostname-override=node-a", "--kubeconfig=/etc/kubernetes/ssl/kubecfg-kube-proxy.yaml", "--v=2"];
    const { line, pid } = await component({
      name: "kube-proxy",
      entrypoint: ["/opt/rke-tools/entrypoint.sh", ...argv],
      binds: [`${node}/etc/kubernetes:/etc/kubernetes`, `${node}/run:/run`, `${node}/lib/modules:/lib/modules:ro`],
      network: "host",
      restart: "always",
      pidMode: "host",
      privileged: true,
    });
    // With the host's PID namespace, $$ is the host PID podman recorded for the container's process.
    expect(pid).toBeGreaterThan(1);
    expect(line).toBe(`pid=${pid} comm=kube-proxy argv0=kube-proxy args=${argv.slice(1).join(" ")}`);
  }, 120_000);

  test("the default command exits 0 at once and silently (rke-selinux-checker has no Cmd); /bin/sh is bash", () => {
    made.push(cname("rke-selinux-checker"), cname("sh-check"));
    expect(runOnce({ name: "rke-selinux-checker", image: img.image, network: "none" })).toEqual({ code: 0, stdout: "", stderr: "" });
    const sh = runOnce({ name: "sh-check", image: img.image, network: "none", cmd: ["sh", "-c", "readlink -f /bin/sh; echo x >&2"] });
    expect(sh).toEqual({ code: 0, stdout: "/usr/bin/bash\n", stderr: "x\n" });
  }, 120_000);
});
