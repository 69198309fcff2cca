/**
 * The deflate engine of `save`: parallel deflate (pigz-style blocks on the zlib thread pool) at
 * level 2 by default, chosen by measurement (docs/bench/save.md): on k8s-like data level 2 costs
 * ~10 % less CPU than level 4 (253 against 226 MB/s per core) for archives within 2.5 % of a
 * deflate-6 zip, and on 2 cores shared with etcd the CPU is the limit. A hidden env,
 * RKE_TOOLS_SAVE_DEFLATE=`parallel:<level>` or `stream:<level>`, lets the benchmark compare engines.
 */
import { streamDeflater, type Deflater } from "../../../archive/deflate.ts";
import { readKnob, type Env } from "../../../env/knob.ts";
import { SAVE_DEFLATE } from "../knobs.ts";
import { parallelDeflater } from "../../../archive/deflate-parallel.ts";

/** The default level (knobs.ts SAVE_DEFLATE's fallback is `parallel:2`). */
export const DEFAULT_SAVE_LEVEL = SAVE_DEFLATE.fallback.level;

export function saveDeflater(env: Env): Deflater {
  const spec = readKnob(env, SAVE_DEFLATE);
  return spec.engine === "parallel" ? parallelDeflater({ level: spec.level }) : streamDeflater(spec.level);
}
