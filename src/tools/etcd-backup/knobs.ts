/**
 * etcd-backup's environment knobs (src/env/knob.ts). The two `operator` ones are also the env
 * fallbacks of flags (flags.ts); the `test` ones exist for tests and benchmarks.
 */
import { ARCHIVE_FORMATS, DEFAULT_ARCHIVE_FORMAT } from "../../archive/format.ts";
import { parseDeflaterSpec } from "../../archive/deflate.ts";
import { knob } from "../../env/knob.ts";
import { PROGRESS_INTERVAL_MS } from "../../log/progress.ts";
import { goDurationMs, list, oneOf, port } from "../../env/parse.ts";

export const ARCHIVE_FORMAT = knob({
  name: "RKE_TOOLS_ARCHIVE_FORMAT",
  audience: "operator",
  readBy: "rke-etcd-backup save",
  shows: "`zip`",
  fallback: DEFAULT_ARCHIVE_FORMAT,
  parse: oneOf(ARCHIVE_FORMATS),
  describe: "default of `save --archive-format` (`zip`, `tar.gz`, `tar.zst`); RKE's readers take zip only",
});

export const PROGRESS_INTERVAL = knob({
  name: "RKE_TOOLS_PROGRESS_INTERVAL",
  audience: "operator",
  readBy: "rke-etcd-backup",
  shows: "`10s`",
  fallback: PROGRESS_INTERVAL_MS,
  parse: goDurationMs,
  describe: "pace of the progress lines of long transfers (Go duration; `0` turns them off)",
});

export const BACKUP_RETRY_INTERVAL = knob({
  name: "RKE_TOOLS_BACKUP_RETRY_INTERVAL",
  audience: "test",
  readBy: "rke-etcd-backup save",
  shows: "`15s`",
  fallback: 15_000 as number,
  parse: goDurationMs,
  describe: "the wait between `--backup-retries` attempts (Go duration)",
});

export const SAVE_DEFLATE = knob({
  name: "RKE_TOOLS_SAVE_DEFLATE",
  audience: "test",
  readBy: "rke-etcd-backup save",
  shows: "`parallel:2`",
  fallback: { engine: "parallel", level: 2 } as { engine: "parallel" | "stream"; level: number },
  parse: (raw) => {
    const spec = parseDeflaterSpec(raw);
    if (!spec) throw new Error("want parallel:<1-9> or stream:<1-9>");
    return spec;
  },
  describe: "the zip's deflate engine and level, for the benchmarks to compare",
});

export const SERVE_PORT = knob({
  name: "RKE_TOOLS_SERVE_PORT",
  audience: "test",
  readBy: "rke-etcd-backup serve, download",
  shows: "`2379`",
  fallback: undefined as number | undefined,
  parse: port(0),
  describe: "serve listens (and download connects) here instead of 2379; `0` lets serve take any free port",
});

export const SERVE_HOSTS = knob({
  name: "RKE_TOOLS_SERVE_HOSTS",
  audience: "test",
  readBy: "rke-etcd-backup serve",
  shows: "`0.0.0.0,::`",
  fallback: undefined as string[] | undefined,
  parse: list,
  describe: "the addresses serve binds, comma-separated (tests stay on loopback)",
});
