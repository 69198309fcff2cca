/**
 * Opening a file to read it only when it is a regular file. A FIFO (or a device) under an
 * archive's name would block open(2) until a writer appears: openSync on the main thread then
 * holds the event loop, so not even SIGTERM's handler runs. O_NONBLOCK makes that open return at
 * once (it changes nothing for a regular file), and fstat on the open descriptor decides, with no
 * window for a swap between a check and the open.
 */
import { closeSync, constants, fstatSync, openSync, promises as fsp, type Stats } from "node:fs";
import { ErrorCode, RkeToolsError } from "../errors.ts";

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** Opens `path` for reading; throws E_IO "not a regular file (a FIFO)" for anything else (the caller names the file). */
export async function openRegular(path: string): Promise<fsp.FileHandle> {
  const fh = await fsp.open(path, FLAGS);
  try {
    assertRegular(path, await fh.stat());
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** openRegular for synchronous readers: a descriptor. */
export function openRegularSync(path: string): number {
  const fd = openSync(path, FLAGS);
  try {
    assertRegular(path, fstatSync(fd));
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function assertRegular(path: string, st: Stats): void {
  if (st.isFile()) return;
  const kind = st.isFIFO() ? "a FIFO" : st.isDirectory() ? "a directory" : st.isSocket() ? "a socket" : st.isCharacterDevice() || st.isBlockDevice() ? "a device" : "not a file";
  throw new RkeToolsError(ErrorCode.Io, `not a regular file (${kind})`, { cause: path });
}
