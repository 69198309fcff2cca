/**
 * Flags of `save` checked in the original's order (docs/contract.md §o-2): creation/retention not zero
 * (even with --once), the three cert paths given; then what the original never checked: the
 * name, creation and retention positive, readable and valid PEM files, well-formed endpoints.
 */
import { DEFAULT_ARCHIVE_FORMAT, parseArchiveFormat, type ArchiveFormat } from "../../../archive/format.ts";
import { formatDuration, type Duration } from "../../../time/duration.ts";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";
import type { Endpoint } from "../../../etcd/endpoints.ts";
import { parseEndpoints } from "../../../etcd/endpoints.ts";
import { validateSnapshotName } from "../../../snapshot/name.ts";
import { pathsFrom, type Paths } from "../../../fs/paths.ts";
import type { Logger } from "../../../log/logger.ts";
import { retryPolicy, type RetryPolicy } from "../../../retry/policy.ts";
import { loadTlsFiles, type TlsFiles } from "../../../tls/pem.ts";
import type { ProgressPolicy } from "../../../log/progress.ts";
import { progressPolicyFrom } from "../progress.ts";
import { readKnob } from "../../../env/knob.ts";
import { BACKUP_RETRY_INTERVAL } from "../knobs.ts";

export interface SaveFlags {
  creation: Duration;
  retention: Duration;
  once: boolean;
  name: string;
  endpoints: string;
  cacert: string;
  cert: string;
  key: string;
  "backup-retries": number;
  "archive-format"?: string;
}

export interface SaveSettings {
  creation: Duration;
  retention: Duration;
  endpoints: Endpoint[];
  tls: TlsFiles;
  paths: Paths;
  retry: RetryPolicy;
  retryIntervalMs: number;
  /** `--archive-format` (env RKE_TOOLS_ARCHIVE_FORMAT): zip, RKE's, unless an operator asks for tar. */
  archiveFormat: ArchiveFormat;
  /** Progress lines while a snapshot streams; undefined when turned off (RKE_TOOLS_PROGRESS_INTERVAL=0). */
  progress?: ProgressPolicy;
}

export function saveSettings(flags: SaveFlags, env: Record<string, string | undefined>, log: Logger): SaveSettings {
  if (flags.creation === 0n || flags.retention === 0n) {
    log.error("Creation period and/or retention are not set", { creation: formatDuration(flags.creation), retention: formatDuration(flags.retention) });
    throw new RkeToolsError(ErrorCode.InvalidInput, "Creation period and/or retention are not set");
  }
  if (flags.cacert === "" || flags.cert === "" || flags.key === "") {
    log.error("Failed to find etcd cert or key paths", { etcdCACert: flags.cacert, etcdCert: flags.cert, etcdKey: flags.key });
    throw new RkeToolsError(ErrorCode.InvalidInput, "Failed to find etcd cert or key paths");
  }
  if (flags.once) validateSnapshotName(flags.name);
  if (flags.creation < 0n) throw new RkeToolsError(ErrorCode.InvalidInput, `invalid value "${formatDuration(flags.creation)}" for flag --creation: must be positive`);
  // A negative retention puts the cutoff in the future: every snapshot of the clean-up (the one just
  // taken in rolling mode, and the bucket's) would go. The original accepted it (docs/contract.md §o-2).
  if (flags.retention < 0n) throw new RkeToolsError(ErrorCode.InvalidInput, `invalid value "${formatDuration(flags.retention)}" for flag --retention: must be positive`);
  if (flags["backup-retries"] < 0) throw new RkeToolsError(ErrorCode.InvalidInput, `invalid value "${flags["backup-retries"]}" for flag --backup-retries: must not be negative`);
  const endpoints = parseEndpoints(flags.endpoints);
  const tls = loadTlsFiles({ cacert: flags.cacert, cert: flags.cert, key: flags.key });
  const retryIntervalMs = readKnob(env, BACKUP_RETRY_INTERVAL); // the original sleeps 15 s; tests shorten it
  return {
    creation: flags.creation,
    retention: flags.retention,
    endpoints,
    tls,
    paths: pathsFrom(env),
    retry: retryPolicy({ attempts: flags["backup-retries"] + 1, delayMs: retryIntervalMs }),
    retryIntervalMs,
    archiveFormat: parseArchiveFormat(flags["archive-format"] ?? DEFAULT_ARCHIVE_FORMAT),
    progress: progressPolicyFrom(env),
  };
}
