/**
 * The tar.gz and tar.zst rows of the archive face (archive.ts). A snapshot archive in tar form
 * holds the state file first (small, known before the snapshot starts, so that `list` learns
 * whether there is one from the first header), then the etcd snapshot, whose size the writer asks
 * once etcd's first message has arrived (archive/tar-writer.ts). Read in order, to the end, so
 * that gzip's CRC or zstd's checksum runs.
 */
import { readHead, type ArchiveFormat } from "../archive/format.ts";
import { checkFreeSpace, MAX_SNAPSHOT_BYTES } from "../archive/limits.ts";
import type { TarCompression } from "../archive/tar-compression.ts";
import { extractTarEntry, readTar, type ReadTarOptions } from "../archive/tar-reader.ts";
import { TarWriter } from "../archive/tar-writer.ts";
import { entryNotFound } from "../archive/zip-reader-extract.ts";
import { ErrorCode, RkeToolsError } from "../errors.ts";
import { AtomicFile } from "../fs/atomic.ts";
import { openRegular } from "../fs/regular.ts";
import type { ByteSink } from "../fs/sink.ts";
import { silentLogger } from "../log/logger.ts";
import type { ArchiveRow } from "./archive.ts";
import { candidateOf, entryChoice, standInWarning } from "./entries.ts";
import { entryNames } from "./layout.ts";
import { readArchiveFile } from "./raw-archive.ts";

/** The row of a tar format, by the compression around the tar stream. */
export function tarArchive(c: Exclude<TarCompression, "none">): ArchiveRow {
  const writer: ArchiveRow["writer"] = (sink, _format, opts) => {
    const tar = new TarWriter(sink, { compression: c, level: opts.level, signal: opts.signal });
    return {
      add: async (name, mode, body, size) => void (await tar.add(name, mode, body, { size })),
      finish: () => tar.finish(),
    };
  };
  return {
    snapshotInPlace: false,
    writer,

    async create(sink, format, input, opts) {
      const names = entryNames(input.name, format);
      const tar = writer(sink, format, opts);
      if (input.state) await tar.add(names.state, input.state.mode, input.state.data, input.state.data.byteLength);
      await tar.add(names.snapshot, 0o600, input.snapshot, input.snapshotSize);
      return tar.finish();
    },

    entryOf: (_path, format, kind, name) => entryChoice(kind, name, format as ArchiveFormat),

    async entries(path, _format, each, opts) {
      await readArchiveFile(path, opts, (source) =>
        readTar(source, { compression: c, label: path, signal: opts.signal }, (h, body) => each({ name: h.name, mode: h.mode, size: h.size }, body)),
      );
    },

    /** The headers up to the first one that may be the snapshot: ours hold the state file before it. */
    async leadingEntryNames(bytes, _format, opts) {
      const seen: string[] = [];
      // "stop" ends the read at that header: a remote stream is left there, its transfer ended.
      await readTar(bytes.stream(), { compression: c, label: bytes.label, signal: opts.signal }, async (h) => {
        seen.push(h.name);
        return candidateOf("snapshot", h.name) !== undefined ? "stop" : undefined;
      });
      return seen;
    },

    async walk(path, _format, visit, opts) {
      const headers = await readArchiveFile(path, opts, (source) =>
        readTar(source, { compression: c, label: path, signal: opts.signal }, async (h, body) => {
          const sink = visit(h.name, h.size);
          if (sink === "stop") return "stop";
          for await (const chunk of body) {
            opts.signal?.throwIfAborted(); // an entry may be gigabytes: SIGTERM must not wait for its end
            if (sink) await sink.write(chunk);
          }
        }),
      );
      // zstd's frame header descriptor (byte 4), bit 2: the frame carries a content checksum.
      const zstdChecksum = c === "zstd" && ((await readHead(path, 5))[4] ?? 0) & 0x04;
      const what = c === "gzip" ? "gzip CRC-32 and length" : zstdChecksum ? "zstd content checksum" : "zstd frame (no content checksum in it)";
      return `${what} and ${headers.length} tar header checksums, read to the end`;
    },

    async extract(path, _format, choice, dest, opts) {
      const tarOpts: ReadTarOptions = { compression: c, label: path, signal: opts.signal };
      /** One pass over the archive, from a descriptor opened as a regular file (a FIFO never blocks). */
      const pass = async <T>(source: Awaited<ReturnType<typeof openRegular>>, read: (s: AsyncIterable<Uint8Array>) => Promise<T>): Promise<T> => {
        try {
          return await read(source.createReadStream({ highWaterMark: 256 * 1024 }));
        } finally {
          await source.close().catch(() => {}); // the stream closes it when read to the end
        }
      };
      const extract = (source: Awaited<ReturnType<typeof openRegular>>, entry: string) => {
        const sink: ByteSink = opts.onBytes ? { write: async (c) => (await file.write(c), opts.onBytes!(c.byteLength)) } : file;
        return pass(source, (s) =>
          extractTarEntry(s, entry, sink, {
            ...tarOpts,
            maxBytes: opts.maxBytes ?? MAX_SNAPSHOT_BYTES,
            accept: (h) => (checkFreeSpace(dest, h.size), opts.onSize?.(h.size)), // as the zip reader: before writing, not at ENOSPC
          }),
        );
      };
      const first = await openRegular(path);
      const file = await AtomicFile.create(dest, { mode: opts.mode ?? 0o600 }).catch(async (e: unknown) => {
        await first.close();
        throw e;
      });
      try {
        // A tar is read in one pass: the exact name first; a renamed archive takes a second pass
        // for its names and a third for the one that stands in (entries.ts), as rare as it is slow.
        let header = await extract(first, choice.wanted);
        if (!header) {
          const names = (await pass(await openRegular(path), (s) => readTar(s, tarOpts))).map((h) => h.name);
          const chosen = choice.choose(names);
          if (chosen && !chosen.exact) {
            (opts.log ?? silentLogger).warn(standInWarning(choice.wanted, path, chosen.name));
            header = await extract(await openRegular(path), chosen.name);
          }
        }
        if (!header) throw entryNotFound(choice.wanted, path);
        if (file.written !== header.size) {
          throw new RkeToolsError(ErrorCode.Archive, `tar: entry ${header.name} of ${path} is truncated: ${file.written} of ${header.size} bytes`);
        }
        await file.commit();
        return { entry: header.name, bytes: file.written };
      } catch (e) {
        await file.abort();
        throw e;
      }
    },
  };
}
