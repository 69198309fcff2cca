/**
 * Writes archives byte-for-byte in the layout of the ORIGINAL's Go `archive/zip` (docs/contract.md §o-5,
 * Appendix A), so that tests prove our reader takes what the fields hold:
 * - absolute entry names (`/backup/<name>`), flags 0x0008 (0x0808 for non-ASCII names), method 8,
 *   zeros for CRC and sizes in the local header, a 16-byte data descriptor WITH signature after
 *   the data (24 bytes with 64-bit sizes for ZIP64 entries);
 * - version made by 0x0314, version needed 20 (45 in the central directory for ZIP64 entries);
 * - the 9-byte "UT" extra field (flags 1, mtime 0) in both headers;
 * - the DOS date/time of 1970-01-01 00:00 in the given zone offset, which wraps (0xec21 under UTC);
 * - Go's ZIP64 rules: central-directory sizes 0xffffffff plus a 24-byte zip64 extra holding
 *   uncompressed, compressed and offset (all three, as Go writes them), and the zip64 end records
 *   when the directory starts at or beyond 4 GiB. `zip64: true` forces that layout for small data
 *   (what Go writes above 4 GiB), so tests exercise it without 4 GiB files.
 * Entries may lie about their CRC or size (`declare`) or carry raw deflate bytes, to build corrupt
 * archives and zip bombs. The deflate bytes themselves differ from Go's (zlib, level 5): readers
 * must not care.
 */
import { createDeflateRaw, crc32, deflateRawSync } from "node:zlib";
import { open, type FileHandle } from "node:fs/promises";

export interface GoZipEntry {
  name: string;
  /** Content: bytes, or a stream of chunks (deflated on the fly, memory stays flat). */
  data?: Uint8Array | AsyncIterable<Uint8Array>;
  /** Raw deflate bytes used as-is (with `declare` giving CRC and size); for crafted archives. */
  rawDeflate?: Uint8Array;
  /** Unix mode of the source file (external attributes = mode << 16). Default 0o100600. */
  mode?: number;
  /** Values written to the descriptor and central directory instead of the real ones. */
  declare?: { crc?: number; uncompressedSize?: number; compressedSize?: number };
}

export interface GoZipOptions {
  /** Offset of the writer's local zone from UTC in minutes (330 = Asia/Kolkata). Default 0. */
  tzOffsetMinutes?: number;
  /** Write the ZIP64 layout even for small entries. Default: only where Go would (≥ 4 GiB). */
  zip64?: boolean;
  /** Deflate level; Go's default is 5. */
  level?: number;
}

const U32MAX = 0xffffffff;

/** Go's timeToMsDosTime for 1970-01-01T00:00 seen in a zone `offset` minutes east of UTC. */
export function goEpochDosDateTime(tzOffsetMinutes = 0): { date: number; time: number } {
  const local = new Date(Date.UTC(1970, 0, 1) + tzOffsetMinutes * 60_000);
  const y = local.getUTCFullYear();
  const date = (local.getUTCDate() + ((local.getUTCMonth() + 1) << 5) + ((y - 1980) << 9)) & 0xffff;
  const time = ((local.getUTCSeconds() >> 1) + (local.getUTCMinutes() << 5) + (local.getUTCHours() << 11)) & 0xffff;
  return { date, time };
}

const UT_EXTRA = Buffer.from([0x55, 0x54, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]);

interface Written {
  name: Buffer;
  flags: number;
  crc: number;
  csize: number;
  usize: number;
  offset: number;
  mode: number;
  time: number;
  date: number;
}

class Out {
  pos = 0;
  constructor(private readonly fh: FileHandle) {}
  /** Reserves the position at call time, so concurrent writes land in call order. */
  async write(b: Uint8Array): Promise<void> {
    const at = this.pos;
    this.pos += b.byteLength;
    let off = 0;
    while (off < b.byteLength) off += (await this.fh.write(b, off, b.byteLength - off, at + off)).bytesWritten;
  }
}

async function* chunks(data: Uint8Array | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (data instanceof Uint8Array) yield data;
  else yield* data;
}

/** Deflates `data` into `out`, returning crc, uncompressed and compressed sizes. */
async function deflateInto(out: Out, data: Uint8Array | AsyncIterable<Uint8Array>, level: number) {
  const z = createDeflateRaw({ level, chunkSize: 1 << 20 });
  let crc = 0;
  let usize = 0;
  let csize = 0;
  const pending: Promise<void>[] = [];
  z.on("data", (c: Buffer) => {
    csize += c.byteLength;
    pending.push(out.write(c));
  });
  const ended = new Promise<void>((res, rej) => {
    z.on("end", res);
    z.on("error", rej);
  });
  for await (const c of chunks(data)) {
    crc = crc32(c, crc);
    usize += c.byteLength;
    if (!z.write(c)) await new Promise<void>((r) => z.once("drain", r));
    // Keep file writes in order and bounded.
    while (pending.length > 0) await pending.shift();
  }
  z.end();
  await ended;
  while (pending.length > 0) await pending.shift();
  return { crc, usize, csize };
}

export async function writeGoZip(path: string, entries: GoZipEntry[], opts: GoZipOptions = {}): Promise<void> {
  const fh = await open(path, "w", 0o600);
  try {
    const out = new Out(fh);
    const { date, time } = goEpochDosDateTime(opts.tzOffsetMinutes ?? 0);
    const dir: Written[] = [];
    for (const e of entries) {
      const name = Buffer.from(e.name, "utf8");
      const flags = 0x0008 | (/^[\x00-\x7f]*$/.test(e.name) ? 0 : 0x0800);
      const offset = out.pos;
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(flags, 6);
      local.writeUInt16LE(8, 8);
      local.writeUInt16LE(time, 10);
      local.writeUInt16LE(date, 12);
      // CRC and sizes stay zero: they follow in the data descriptor.
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(UT_EXTRA.length, 28);
      await out.write(Buffer.concat([local, name, UT_EXTRA]));

      let r: { crc: number; usize: number; csize: number };
      if (e.rawDeflate) {
        await out.write(e.rawDeflate);
        r = { crc: 0, usize: 0, csize: e.rawDeflate.byteLength };
      } else {
        r = await deflateInto(out, e.data ?? new Uint8Array(0), opts.level ?? 5);
      }
      const crc = e.declare?.crc ?? r.crc;
      const usize = e.declare?.uncompressedSize ?? r.usize;
      const csize = e.declare?.compressedSize ?? r.csize;
      const zip64 = opts.zip64 || usize >= U32MAX || csize >= U32MAX;
      const dd = Buffer.alloc(zip64 ? 24 : 16);
      dd.writeUInt32LE(0x08074b50, 0);
      dd.writeUInt32LE(crc >>> 0, 4);
      if (zip64) {
        dd.writeBigUInt64LE(BigInt(csize), 8);
        dd.writeBigUInt64LE(BigInt(usize), 16);
      } else {
        dd.writeUInt32LE(csize, 8);
        dd.writeUInt32LE(usize, 12);
      }
      await out.write(dd);
      dir.push({ name, flags, crc, csize, usize, offset, mode: e.mode ?? 0o100600, time, date });
    }

    const start = out.pos;
    for (const h of dir) {
      const entryZip64 = opts.zip64 || h.usize >= U32MAX || h.csize >= U32MAX;
      const needs64 = entryZip64 || h.offset >= U32MAX;
      let extra: Buffer = UT_EXTRA;
      const c = Buffer.alloc(46);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE(0x0314, 4);
      c.writeUInt16LE(entryZip64 ? 45 : 20, 6);
      c.writeUInt16LE(h.flags, 8);
      c.writeUInt16LE(8, 10);
      c.writeUInt16LE(h.time, 12);
      c.writeUInt16LE(h.date, 14);
      c.writeUInt32LE(h.crc >>> 0, 16);
      if (needs64) {
        c.writeUInt32LE(U32MAX, 20);
        c.writeUInt32LE(U32MAX, 24);
        const z = Buffer.alloc(28);
        z.writeUInt16LE(0x0001, 0);
        z.writeUInt16LE(24, 2);
        z.writeBigUInt64LE(BigInt(h.usize), 4);
        z.writeBigUInt64LE(BigInt(h.csize), 12);
        z.writeBigUInt64LE(BigInt(h.offset), 20);
        extra = Buffer.concat([UT_EXTRA, z]);
      } else {
        c.writeUInt32LE(h.csize, 20);
        c.writeUInt32LE(h.usize, 24);
      }
      c.writeUInt16LE(h.name.length, 28);
      c.writeUInt16LE(extra.length, 30);
      c.writeUInt16LE(0, 32); // comment length; disk number and internal attributes stay zero
      c.writeUInt32LE((h.mode << 16) >>> 0, 38);
      // Go writes 0xffffffff only when the offset is strictly above it (writer.go: `h.offset > uint32max`).
      c.writeUInt32LE(h.offset > U32MAX ? U32MAX : h.offset, 42);
      await out.write(Buffer.concat([c, h.name, extra]));
    }
    const end = out.pos;
    let records = dir.length;
    let size = end - start;
    let offset = start;
    if (opts.zip64 || records >= 0xffff || size >= U32MAX || offset >= U32MAX) {
      const z = Buffer.alloc(56 + 20);
      z.writeUInt32LE(0x06064b50, 0);
      z.writeBigUInt64LE(44n, 4);
      z.writeUInt16LE(45, 12);
      z.writeUInt16LE(45, 14);
      z.writeBigUInt64LE(BigInt(records), 24);
      z.writeBigUInt64LE(BigInt(records), 32);
      z.writeBigUInt64LE(BigInt(size), 40);
      z.writeBigUInt64LE(BigInt(offset), 48);
      z.writeUInt32LE(0x07064b50, 56);
      z.writeBigUInt64LE(BigInt(end), 64);
      z.writeUInt32LE(1, 72);
      await out.write(z);
      records = 0xffff;
      size = U32MAX;
      offset = U32MAX;
    }
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(records, 8);
    eocd.writeUInt16LE(records, 10);
    eocd.writeUInt32LE(size, 12);
    eocd.writeUInt32LE(offset, 16);
    await out.write(eocd);
  } finally {
    await fh.close();
  }
}

/** Raw deflate of `n` zero bytes: ~1000:1, the stuff of zip bombs. */
export function zerosDeflated(n: number): Uint8Array {
  return deflateRawSync(Buffer.alloc(n), { level: 9 });
}
