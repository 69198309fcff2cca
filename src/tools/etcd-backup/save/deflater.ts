/**
 * The deflate engine of `save`: parallel deflate (pigz-style blocks on the zlib thread pool) at
 * level 2 by default, chosen by measurement (docs/bench/save.md): on k8s-like data level 2 costs
 * ~10 % less CPU than level 4 (253 against 226 MB/s per core) for archives within 2.5 % of a
 * deflate-6 zip, and on 2 cores shared with etcd the CPU is the limit. A hidden env,
 * RKE_TOOLS_SAVE_DEFLATE=`parallel:<level>` or `stream:<level>`, lets the benchmark compare engines.
 */
import { parseDeflaterSpec, streamDeflater, type Deflater } from "../../../archive/deflate.ts";
import { parallelDeflater } from "../../../archive/deflate-parallel.ts";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";

export const DEFLATE_ENV = "RKE_TOOLS_SAVE_DEFLATE";
export const DEFAULT_SAVE_LEVEL = 2;

export function saveDeflater(env: Record<string, string | undefined>): Deflater {
  const text = env[DEFLATE_ENV];
  if (!text) return parallelDeflater({ level: DEFAULT_SAVE_LEVEL });
  const spec = parseDeflaterSpec(text);
  if (!spec) throw new RkeToolsError(ErrorCode.InvalidInput, `invalid value ${JSON.stringify(text)} for env ${DEFLATE_ENV}: want parallel:<1-9> or stream:<1-9>`);
  return spec.engine === "parallel" ? parallelDeflater({ level: spec.level }) : streamDeflater(spec.level);
}
