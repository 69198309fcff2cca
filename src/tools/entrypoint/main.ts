/**
 * `entrypoint.sh <component> [--flag=value …]`: RKE's entrypoint of every Kubernetes component
 * container (docs/contract.md §a.1). Gather the host facts the component's rules need, plan, act; the last
 * action replaces this process with the component (same PID) or supervises cri-dockerd + kubelet.
 */
import { reportFailure } from "../../cli/failure.ts";
import type { ToolMain } from "../../cli/tool-context.ts";
import { act } from "./act.ts";
import { gatherFacts } from "./facts.ts";
import { entrypointPaths } from "./paths.ts";
import { plan } from "./plan.ts";

export const main: ToolMain = async (argv, ctx) => {
  const { log } = ctx;
  log.addSecret(ctx.env.RKE_KUBELET_DOCKER_CONFIG);
  if (argv.length === 0 || argv[0] === "") {
    log.fatal("entrypoint.sh needs the command to start as its first argument (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet or kube-proxy)");
    return 2;
  }
  try {
    const paths = entrypointPaths(ctx.env);
    const facts = await gatherFacts(argv, ctx.env, paths, { signal: ctx.signal, log });
    return await act(plan(argv, ctx.env, facts), { env: ctx.env, paths, log, signal: ctx.signal });
  } catch (e) {
    return reportFailure(log, e);
  }
};
