/**
 * `cert-deployer` (docs/contract.md §a.3): the node's certificates and kubeconfigs from KUBE_* / KUBECFG_* env
 * into /etc/kubernetes/ssl (CRTS_DEPLOY_PATH overrides), then, with ETCD_UID/ETCD_GID, etcd's access
 * to them. RKE ignores the exit code and logs, but an operator reads them: every problem is named,
 * and the last line says what was not deployed.
 */
import { runPlain } from "../../cli/plain.ts";
import { ErrorCode, RkeToolsError, messageOf } from "../../errors.ts";
import { findExecutable } from "../../sys/index.ts";
import type { ToolMain } from "../../cli/tool-context.ts";
import { deployItems } from "./deploy.ts";
import { etcdIds, grantEtcdAccess } from "./etcd-access.ts";
import { planFromEnv } from "./plan.ts";

function which(program: string, path: string | undefined): string | undefined {
  try {
    return findExecutable(program, path);
  } catch {
    return undefined;
  }
}

export const main: ToolMain = (_argv, ctx) =>
  runPlain(async ({ log, env, signal }) => {
    const dir = env.CRTS_DEPLOY_PATH || "/etc/kubernetes/ssl";
    const items = planFromEnv(env);
    const report = await deployItems(dir, items, { force: env.FORCE_DEPLOY === "true", log });
    let ids: ReturnType<typeof etcdIds>;
    try {
      ids = etcdIds(env);
    } catch (e) {
      report.problems.push(messageOf(e)); // every certificate is written already
    }
    if (!ids && (env.ETCD_UID || env.ETCD_GID) && !(env.ETCD_UID && env.ETCD_GID)) log.warn("Only one of ETCD_UID and ETCD_GID is set: etcd file ownership left as it is");
    if (ids) report.problems.push(...(await grantEtcdAccess(dir, ids, { log, setfacl: which("setfacl", env.PATH), signal })));
    for (const p of report.problems.slice(0, -1)) log.error(p);
    log.info(`Deployed to ${dir}`, { written: report.written.length, kept: report.kept.length, problems: report.problems.length });
    if (report.problems.length > 0) {
      const more = report.problems.length - 1;
      const what = `${report.problems.at(-1)}${more > 0 ? ` (and ${more} more above)` : ""}`;
      throw new RkeToolsError(ErrorCode.InvalidInput, `Cannot deploy every certificate: ${what}`);
    }
  }, ctx);
