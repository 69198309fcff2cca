/** What binutils' readelf says about a file: an independent check of compile/elf.ts's work. */
import { execFileSync } from "node:child_process";

function readelf(args: string[], path: string): string {
  return execFileSync("readelf", ["-W", ...args, path], { encoding: "utf8", maxBuffer: 64 << 20 });
}

export interface ReadelfView {
  machine: string;
  interpreter: string | undefined;
  needed: string[];
  rpath: string | undefined;
  runpath: string | undefined;
  /** Dynamic tag name (e.g. "VERDEF") → value. */
  dynamic: Map<string, bigint>;
  sections: Map<string, { addr: bigint; offset: number; size: number }>;
}

export function view(path: string): ReadelfView {
  const header = readelf(["-h"], path);
  const machine = /Machine:\s+(.+)/.exec(header)?.[1]?.trim() ?? "";
  const interpreter = /\[Requesting program interpreter: ([^\]]+)\]/.exec(readelf(["-l"], path))?.[1];
  const dyn = readelf(["-d"], path);
  const needed = [...dyn.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
  const rpath = /\(RPATH\)\s+Library rpath: \[([^\]]+)\]/.exec(dyn)?.[1];
  const runpath = /\(RUNPATH\)\s+Library runpath: \[([^\]]+)\]/.exec(dyn)?.[1];
  const dynamic = new Map<string, bigint>();
  for (const m of dyn.matchAll(/^\s*0x[0-9a-f]+ \((\w+)\)\s+(0x[0-9a-f]+)\s*$/gm)) dynamic.set(m[1]!, BigInt(m[2]!));
  const sections = new Map<string, { addr: bigint; offset: number; size: number }>();
  for (const m of readelf(["-S"], path).matchAll(/^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)/gm)) {
    sections.set(m[1]!, { addr: BigInt(`0x${m[2]}`), offset: Number.parseInt(m[3]!, 16), size: Number.parseInt(m[4]!, 16) });
  }
  return { machine, interpreter, needed, rpath, runpath, dynamic, sections };
}
