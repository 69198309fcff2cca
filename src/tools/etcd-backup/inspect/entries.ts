/**
 * Every entry of a snapshot archive, whatever its format, streamed to a visitor; the archive is
 * read to its end so that its own checks (tar headers, gzip CRC, zstd checksum, zip CRCs) run.
 * A raw snapshot (what serve and download leave in /backup) is one entry: itself.
 */
import { createReadStream } from "node:fs";
import { readTar } from "../../../archive/tar-reader.ts";
import { compressionOf } from "../../../archive/tar-compression.ts";
import { readHead, type ArchiveFormat } from "../../../archive/format.ts";
import { readZipEntries } from "./zip-entries.ts";

export type StoredFormat = ArchiveFormat | "raw";

export type EntryVisitor = (name: string, size: number, body: AsyncIterable<Uint8Array>) => Promise<void | "stop">;

export interface WalkOptions {
  signal?: AbortSignal;
  /** Sees every raw byte of the archive file, in order (for its SHA-256). */
  onArchiveBytes?: (chunk: Uint8Array) => void;
}

/** Returns what the format's own checks covered, for the report. */
export async function walkEntries(path: string, format: StoredFormat, visit: EntryVisitor, opts: WalkOptions = {}): Promise<string> {
  if (format === "zip") return readZipEntries(path, visit, opts);
  const source = tapped(createReadStream(path, { highWaterMark: 256 * 1024 }), opts.onArchiveBytes);
  if (format === "raw") {
    let size = 0;
    await visit(path, -1, (async function* () {
      for await (const c of source) {
        size += c.byteLength;
        yield c;
      }
    })());
    return `${size} bytes read`;
  }
  const compression = compressionOf(format);
  const headers = await readTar(source, { compression, label: path, signal: opts.signal }, (h, body) => visit(h.name, h.size, body));
  // zstd's frame header descriptor (byte 4), bit 2: the frame carries a content checksum.
  const zstdChecksum = compression === "zstd" && ((await readHead(path, 5))[4] ?? 0) & 0x04;
  const what = compression === "gzip" ? "gzip CRC-32 and length" : zstdChecksum ? "zstd content checksum" : "zstd frame (no content checksum in it)";
  return `${what} and ${headers.length} tar header checksums, read to the end`;
}

async function* tapped(source: AsyncIterable<Uint8Array>, tap?: (c: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  for await (const c of source) {
    tap?.(c);
    yield c;
  }
}
