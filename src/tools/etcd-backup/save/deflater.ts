/**
 * The deflate engine of `save`: parallel deflate (pigz-style blocks on the zlib thread pool) at
 * level 4 by default, chosen by measurement (docs/bench/save.md): on k8s-like data it is as small
 * as one zlib stream at level 6 (within 1.5 %) and the fastest engine next to etcd on 2 cores. A hidden env,
 * RKE_TOOLS_SAVE_DEFLATE=`parallel:<level>` or `stream:<level>`, lets the benchmark compare engines.
 */
import { parseDeflaterSpec, streamDeflater, type Deflater } from "../../../archive/deflate.ts";
import { parallelDeflater } from "../../../archive/deflate-parallel.ts";
import { ErrorCode, RkeToolsError } from "../../../errors.ts";

export const DEFLATE_ENV = "RKE_TOOLS_SAVE_DEFLATE";
export const DEFAULT_SAVE_LEVEL = 4;

export function saveDeflater(env: Record<string, string | undefined>): Deflater {
  const text = env[DEFLATE_ENV];
  if (!text) return parallelDeflater({ level: DEFAULT_SAVE_LEVEL });
  const spec = parseDeflaterSpec(text);
  if (!spec) throw new RkeToolsError(ErrorCode.InvalidInput, `invalid value ${JSON.stringify(text)} for env ${DEFLATE_ENV}: want parallel:<1-9> or stream:<1-9>`);
  return spec.engine === "parallel" ? parallelDeflater({ level: spec.level }) : streamDeflater(spec.level);
}
