/**
 * A streamed tar reader (tar-stream), through gzip or zstd decompression. It always reads the
 * archive to its end: gzip's CRC and zstd's checksum come last, and a truncated or corrupt archive
 * must fail before anything taken from it is committed. Failures are one clear line
 * ("Cannot read archive x.tar.zst: truncated: …").
 */
import { Readable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import tarStream from "tar-stream";
import { ErrorCode, RkeToolsError, isRkeToolsError, messageOf } from "../errors.ts";
import type { ByteSink } from "../fs/sink.ts";
import { abortError } from "../retry/policy.ts";
import { EntryCensus, MAX_SNAPSHOT_BYTES, sameEntryName } from "./limits.ts";
import { createDecompressor, type TarCompression } from "./tar-compression.ts";

export interface TarEntryHeader {
  name: string;
  size: number;
  mode: number;
  mtime: Date;
  type: string;
}

export interface ReadTarOptions {
  compression: TarCompression;
  /** Names the archive in error messages (its path or S3 key). */
  label: string;
  signal?: AbortSignal;
  /** extractTarEntry: refuse an entry declaring more bytes (before writing any). */
  maxBytes?: number;
  /** extractTarEntry: sees the wanted entry's header before a byte of it is written; throws to refuse. */
  accept?: (header: TarEntryHeader) => void;
}

/**
 * Receives each regular file; the body not consumed is skipped. Returning "stop" ends the read
 * there, without reading (or checking) the rest: for listings, never before a commit.
 */
export type OnTarEntry = (header: TarEntryHeader, body: AsyncIterable<Uint8Array>) => Promise<void | "stop">;

/** Reads the whole archive (unless told to stop); returns the headers of its regular files, in order. */
export async function readTar(source: AsyncIterable<Uint8Array>, opts: ReadTarOptions, onEntry?: OnTarEntry): Promise<TarEntryHeader[]> {
  const extract = tarStream.extract();
  let inBytes = 0;
  const counted = async function* () {
    for await (const chunk of source) {
      inBytes += chunk.byteLength;
      yield chunk;
    }
    // zstd decodes an empty input to nothing, and tar-stream takes nothing for an empty archive.
    if (inBytes === 0) throw new RkeToolsError(ErrorCode.Archive, `Cannot read archive ${opts.label}: it is empty`);
  };
  const input = Readable.from(counted(), { objectMode: false, highWaterMark: 1 });
  const decompress: Transform | undefined = opts.compression === "none" ? undefined : createDecompressor(opts.compression);
  const piped = decompress ? pipeline(input, decompress, extract) : pipeline(input, extract);
  piped.catch(() => {}); // awaited below; its error also ends the entry loop
  const headers: TarEntryHeader[] = [];
  const census = new EntryCensus(opts.label);
  try {
    for await (const entry of extract) {
      opts.signal?.throwIfAborted();
      const h = entry.header;
      const isFile = h.type === "file" || h.type === "contiguous-file";
      census.add(h.name, isFile);
      if (isFile) {
        // Bounded by what it declares, before its bytes are inflated (a few MB of zstd can declare 48 GiB).
        if (h.size > MAX_SNAPSHOT_BYTES) throw declaresTooMuch(h.name, h.size, opts.label, MAX_SNAPSHOT_BYTES);
        const header: TarEntryHeader = { name: h.name, size: h.size, mode: h.mode, mtime: h.mtime, type: h.type };
        headers.push(header);
        if (onEntry && (await onEntry(header, entry as AsyncIterable<Uint8Array>)) === "stop") {
          input.destroy();
          extract.destroy();
          return headers;
        }
      }
      entry.resume();
    }
    await piped;
  } catch (e) {
    input.destroy();
    if (opts.signal?.aborted) throw abortError(opts.signal); // E_ABORTED, as the zip reader
    if (isRkeToolsError(e)) throw e; // already one clear line: ours, or the consumer's (disk, abort)
    throw readError(opts.label, e, decompress === undefined ? undefined : opts.compression);
  }
  return headers;
}

/**
 * Streams the entry named `entryName` into `sink` and reads the rest of the archive; returns its
 * header, or undefined when the archive has no such entry. Commit the sink only after this returns.
 */
export async function extractTarEntry(source: AsyncIterable<Uint8Array>, entryName: string, sink: ByteSink, opts: ReadTarOptions): Promise<TarEntryHeader | undefined> {
  let found: TarEntryHeader | undefined;
  await readTar(source, opts, async (header, body) => {
    if (found || !sameEntryName(header.name, entryName)) return;
    if (opts.maxBytes !== undefined && header.size > opts.maxBytes) throw declaresTooMuch(header.name, header.size, opts.label, opts.maxBytes);
    opts.accept?.(header);
    found = header;
    for await (const chunk of body) {
      opts.signal?.throwIfAborted(); // an entry may be gigabytes: SIGTERM must not wait for its end
      await sink.write(chunk);
    }
  });
  return found;
}

function declaresTooMuch(entry: string, size: number, label: string, max: number): RkeToolsError {
  return new RkeToolsError(ErrorCode.Archive, `tar: entry ${entry} of ${label} declares ${size} bytes, more than the ${max} accepted`);
}

function readError(label: string, e: unknown, compression: string | undefined): RkeToolsError {
  return new RkeToolsError(ErrorCode.Archive, `Cannot read archive ${label}: ${describeReadError(e, compression)}`, { cause: e });
}

/** Turns zlib, zstd and tar-stream errors into what an operator can act on. */
export function describeReadError(e: unknown, compression: string | undefined): string {
  const msg = messageOf(e);
  const code = (e as { code?: string }).code ?? "";
  if (msg === "Unexpected end of data") return "truncated: the tar stream ends early";
  if (msg.startsWith("Invalid tar header")) return "corrupt tar header (checksum mismatch or not a tar)";
  if (/unexpected end of file/i.test(msg) || code === "Z_BUF_ERROR") return `truncated: the ${compression ?? "compressed"} stream ends early`;
  if (compression === "zstd" || code.startsWith("ZSTD")) return `corrupt zstd data (${msg})`;
  if (code.startsWith("Z_") || compression === "gzip") return `corrupt gzip data (${msg})`;
  return msg;
}
