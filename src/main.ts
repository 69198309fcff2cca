/**
 * One executable, many names (a Bun executable carries the whole ~100 MB runtime, so there is one).
 * Dispatch on basename(process.argv0): argv[0] is always "bun" in a compiled Bun executable, while
 * argv0 keeps the symlink or `exec -a` name. Under any other name (rke-tools, or `bun src/main.ts`)
 * the first argument names the tool. A tool's code is imported only when it runs.
 */
import { basename } from "node:path";
import { loggerFromEnv } from "./log/from-env.ts";
import { isToolName, TOOLS, type ToolName } from "./tools/tool.ts";
import { versionLine } from "./version.ts";

function usage(): string {
  const width = Math.max(...Object.keys(TOOLS).map((n) => n.length));
  const lines = Object.entries(TOOLS).map(([n, t]) => `   ${n.padEnd(width)}  ${t.describe}`);
  return `rke-tools ${versionLine}\n\nUSAGE:\n   rke-tools <tool> [arguments...]   (or invoke the executable under a tool's name)\n\nTOOLS:\n${lines.join("\n")}\n`;
}

async function main(): Promise<number> {
  const invokedAs = basename(process.argv0);
  let argv = process.argv.slice(2);
  let name: ToolName;
  if (isToolName(invokedAs)) {
    name = invokedAs;
  } else {
    const first = argv[0];
    if (first === undefined || first === "--help" || first === "-h" || first === "help") {
      process.stdout.write(usage());
      return 0;
    }
    if (first === "--version" || first === "-v" || first === "version") {
      process.stdout.write(`rke-tools ${versionLine}\n`);
      return 0;
    }
    if (!isToolName(first)) {
      process.stderr.write(`rke-tools: unknown tool '${first}'\n\n${usage()}`);
      return 3;
    }
    name = first;
    argv = argv.slice(1);
  }

  const entry: { describe: string; usage?: string } = TOOLS[name];
  if (entry.usage && argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h")) {
    process.stdout.write(entry.usage);
    return 0;
  }

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    // The first signal asks the tool to stop cleanly; a second one ends the process now.
    if (signals > 1) process.exit(128 + (sig === "SIGINT" ? 2 : 15));
    controller.abort(new Error(`received ${sig}`));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  const tool = await TOOLS[name].load();
  return tool.main(argv, { name, env: process.env, signal: controller.signal, log: loggerFromEnv(process.env) });
}

main().then(
  (code) => process.exit(code),
  (e) => {
    // Tools turn their own errors into exit codes; reaching this is a bug, reported on one line.
    process.stderr.write(`rke-tools: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(70);
  },
);
