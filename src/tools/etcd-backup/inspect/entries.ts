/**
 * Every entry of a snapshot archive, whatever its format, streamed to a visitor; the archive is
 * read to its end so that its own checks run (tar header checksums, gzip CRC, zstd checksum, each
 * zip entry's CRC-32 and size). A raw snapshot (what serve and download leave in /backup) is one
 * entry: itself.
 */
import { readHead, type ArchiveFormat } from "../../../archive/format.ts";
import { compressionOf } from "../../../archive/tar-compression.ts";
import { readTar } from "../../../archive/tar-reader.ts";
import { ZipReader } from "../../../archive/zip-reader.ts";
import { pumpEntry } from "../../../archive/zip-reader-inflate.ts";
import { openRegular } from "../../../fs/regular.ts";
import type { ByteSink } from "../../../fs/sink.ts";

export type StoredFormat = ArchiveFormat | "raw";

/** Per entry: a sink for its bytes, undefined to read it through unseen, or "stop" to end the walk. */
export type EntryVisitor = (name: string, size: number) => ByteSink | undefined | "stop";

export interface WalkOptions {
  signal?: AbortSignal;
  /** Sees every raw byte of the archive file, in order (for its SHA-256). */
  onArchiveBytes?: (chunk: Uint8Array) => void;
}

/** Returns what the format's own checks covered, for the report. */
export async function walkEntries(path: string, format: StoredFormat, visit: EntryVisitor, opts: WalkOptions = {}): Promise<string> {
  if (format === "zip") return walkZip(path, visit, opts);
  const fh = await openRegular(path);
  try {
    return await walkStream(path, format, fh.createReadStream({ highWaterMark: 256 * 1024, autoClose: false }), visit, opts);
  } finally {
    await fh.close();
  }
}

async function walkStream(path: string, format: Exclude<StoredFormat, "zip">, stream: AsyncIterable<Uint8Array>, visit: EntryVisitor, opts: WalkOptions): Promise<string> {
  const source = tapped(stream, opts.onArchiveBytes);
  if (format === "raw") {
    const sink = visit(path, -1);
    let size = 0;
    for await (const c of source) {
      opts.signal?.throwIfAborted();
      size += c.byteLength;
      if (sink && sink !== "stop") await sink.write(c);
    }
    return `${size} bytes read`;
  }
  const compression = compressionOf(format);
  const headers = await readTar(source, { compression, label: path, signal: opts.signal }, async (h, body) => {
    const sink = visit(h.name, h.size);
    if (sink === "stop") return "stop";
    for await (const c of body) {
      opts.signal?.throwIfAborted(); // an entry may be gigabytes: SIGTERM must not wait for its end
      if (sink) await sink.write(c);
    }
  });
  // zstd's frame header descriptor (byte 4), bit 2: the frame carries a content checksum.
  const zstdChecksum = compression === "zstd" && ((await readHead(path, 5))[4] ?? 0) & 0x04;
  const what = compression === "gzip" ? "gzip CRC-32 and length" : zstdChecksum ? "zstd content checksum" : "zstd frame (no content checksum in it)";
  return `${what} and ${headers.length} tar header checksums, read to the end`;
}

async function walkZip(path: string, visit: EntryVisitor, opts: WalkOptions): Promise<string> {
  const zip = await ZipReader.open(path);
  try {
    let n = 0;
    for (const entry of zip.entries) {
      const sink = visit(entry.name, entry.uncompressedSize);
      if (sink === "stop") break;
      await pumpEntry(zip, entry, (c) => sink?.write(c), { signal: opts.signal });
      n++;
    }
    if (opts.onArchiveBytes) await hashWhole(path, opts.onArchiveBytes, opts.signal);
    return `CRC-32 and size of ${n} zip entries, read to the end`;
  } finally {
    zip.close();
  }
}

/** A zip is read by offset, not in order: its SHA-256 takes a second, sequential pass. */
async function hashWhole(path: string, tap: (c: Uint8Array) => void, signal?: AbortSignal): Promise<void> {
  const fh = await openRegular(path);
  try {
    for await (const c of fh.createReadStream({ highWaterMark: 1024 * 1024, autoClose: false })) {
      signal?.throwIfAborted();
      tap(c as Uint8Array);
    }
  } finally {
    await fh.close();
  }
}

async function* tapped(source: AsyncIterable<Uint8Array>, tap?: (c: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  for await (const c of source) {
    tap?.(c);
    yield c;
  }
}
