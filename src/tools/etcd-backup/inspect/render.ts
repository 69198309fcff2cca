/** Text and JSON output of `list` and `verify` (stdout; logs stay on stderr). */
import { UsageError } from "../../../errors.ts";
import { stringFlag } from "../../../cli/flag.ts";
import type { SnapshotRecord } from "../../../snapshot/stores/store.ts";
import type { VerifyReport } from "./verify.ts";
import { formatBytes } from "../../../log/progress.ts";
import { formatRfc3339 } from "../../../time/rfc3339.ts";

export const outputFlag = stringFlag("output", "Output format: text (a table) or json", { default: "text" });

export type Output = "text" | "json";

export function parseOutput(value: string): Output {
  if (value === "text" || value === "json") return value;
  throw new UsageError(`invalid value "${value}" for flag -output: must be text or json`);
}

export function renderList(records: SnapshotRecord[], output: Output): string {
  if (output === "json") {
    return (
      JSON.stringify(
        records.map((r) => ({
          location: r.location,
          name: r.name,
          format: r.format,
          path: r.path,
          size: r.size,
          time: formatRfc3339(r.time),
          stateFile: r.stateFile ?? null,
          sha256: r.sha256 ?? null,
        })),
        null,
        2,
      ) + "\n"
    );
  }
  const rows = [["LOCATION", "NAME", "FORMAT", "SIZE", "TIME", "STATE", "SHA256"]];
  for (const r of records) {
    const state = r.stateFile === undefined ? "?" : r.stateFile ? "yes" : "no";
    rows.push([r.location, r.name, r.format, formatBytes(r.size), formatRfc3339(r.time), state, r.sha256 ?? "-"]);
  }
  return table(rows);
}

export function renderVerify(reports: VerifyReport[], output: Output): string {
  if (output === "json") return JSON.stringify(reports, null, 2) + "\n";
  return reports
    .map((r) => {
      const rows = r.checks.map((c) => [c.status === "ok" ? "ok" : c.status === "fail" ? "FAIL" : c.status === "warn" ? "WARN" : "-", c.check, c.detail]);
      return `${r.target}: ${r.ok ? "verified" : "FAILED"}\n${table(rows, "  ")}`;
    })
    .join("\n");
}

function table(rows: string[][], indent = ""): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}
