/**
 * The compression around a tar stream: gzip (tar.gz) or zstd (tar.zst), both through node:zlib
 * streams, which Bun runs off the main thread with constant memory (docs/contract.md §bun-6). zstd frames
 * carry a content checksum, so a reader catches corruption that still decodes. One zstd stream,
 * not parallel frames: at level 1 one core keeps pace with etcd, and frames compressed in
 * parallel (zlib.zstdCompress per 1–2 MiB block) measured 118–146 MiB peak RSS against ~100.
 */
import type { Transform } from "node:stream";
import zlib from "node:zlib";
import type { ArchiveFormat } from "./format.ts";

export type TarCompression = "gzip" | "zstd" | "none";

/**
 * Levels measured in docs/bench/formats.md. zstd 1: on k8s-like values it is both faster and
 * smaller than level 3 (~1 GB/s per core, ratio 3.44 against 3.37) and smaller than save's zip.
 */
export const DEFAULT_LEVEL: Record<Exclude<TarCompression, "none">, number> = { gzip: 6, zstd: 1 };

/** Larger than zlib's 16 KiB default: 64–256 KiB chunks inflate ~1.5× faster (docs/contract.md §bun-6). */
const CHUNK = 256 * 1024;

export function compressionOf(format: Exclude<ArchiveFormat, "zip">): Exclude<TarCompression, "none"> {
  return format === "tar.gz" ? "gzip" : "zstd";
}

export function createCompressor(c: Exclude<TarCompression, "none">, level = DEFAULT_LEVEL[c]): Transform {
  if (c === "gzip") return zlib.createGzip({ level, chunkSize: CHUNK });
  return zlib.createZstdCompress({
    chunkSize: CHUNK,
    params: { [zlib.constants.ZSTD_c_compressionLevel]: level, [zlib.constants.ZSTD_c_checksumFlag]: 1 },
  });
}

export function createDecompressor(c: Exclude<TarCompression, "none">): Transform {
  return c === "gzip" ? zlib.createGunzip({ chunkSize: CHUNK }) : zlib.createZstdDecompress({ chunkSize: CHUNK });
}
