/** `rke-etcd-backup`: the urfave/cli app "Etcd Wrapper" with its one command, `etcd-backup`. */
import { defineCommand } from "citty";
import { defineGroup } from "../../cli/command.ts";
import { runShell } from "../../cli/shell.ts";
import { versionLine } from "../../version.ts";
import type { ToolMain } from "../../cli/tool-context.ts";

const etcdBackup = defineGroup("etcd-backup", "Perform etcd backup tools", {
  save: () => import("./commands/save.ts").then((m) => m.default),
  delete: () => import("./commands/delete.ts").then((m) => m.default),
  download: () => import("./commands/download.ts").then((m) => m.default),
  extractstatefile: () => import("./commands/extractstatefile.ts").then((m) => m.default),
  serve: () => import("./commands/serve.ts").then((m) => m.default),
  list: () => import("./commands/list.ts").then((m) => m.default),
  verify: () => import("./commands/verify.ts").then((m) => m.default),
  convert: () => import("./commands/convert.ts").then((m) => m.default),
});

export const app = defineCommand({
  meta: { name: "rke-etcd-backup", description: "Etcd Wrapper" },
  subCommands: { "etcd-backup": etcdBackup },
});

export const main: ToolMain = (argv, ctx) => runShell(app, argv, { env: ctx.env, signal: ctx.signal, log: ctx.log, version: versionLine });
