/**
 * What serve hands to the peers must be an etcd snapshot: its last 32 bytes the SHA-256 of the
 * bytes before them, what `etcdctl snapshot restore` checks on every peer. Checked once, before
 * listening, so that a damaged or empty file is refused on the node that has it rather than
 * copied to every other one (the original served anything).
 */
import { ErrorCode, RkeToolsError, isRkeToolsError, messageOf } from "../../../errors.ts";
import { trailerOfFile } from "../../../snapshot/trailer.ts";

export async function checkServable(file: string, signal?: AbortSignal): Promise<void> {
  let t;
  try {
    t = await trailerOfFile(file, signal);
  } catch (e) {
    if (signal?.aborted) throw new RkeToolsError(ErrorCode.Aborted, `Cannot serve ${file}: interrupted`, { cause: e });
    throw new RkeToolsError(isRkeToolsError(e) ? e.code : ErrorCode.Io, `Cannot serve ${file}: ${messageOf(e)}`, { cause: e });
  }
  const why =
    t.bytes === 0
      ? "it is empty"
      : t.trailer === ""
        ? `its ${t.bytes} bytes are too few to hold etcd's SHA-256 trailer`
        : !t.ok
          ? `it is not a whole etcd snapshot: its trailer is ${t.trailer}, but the bytes before it hash to ${t.computed}`
          : undefined;
  if (why) throw new RkeToolsError(ErrorCode.Archive, `Cannot serve ${file}: ${why}`);
}
