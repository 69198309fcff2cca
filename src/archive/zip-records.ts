/**
 * Byte layout of the zip records, exactly as Go's archive/zip writes them for the original
 * (docs/contract.md §o-5, §b-3): version made by 0x0314, version needed 2.0 (4.5 for ZIP64 entries),
 * flags 0x0008 (+0x0800 when Go would mark the name UTF-8), deflate, DOS time 0 / date 0xEC21
 * (Go's wrap-around of 1970-01-01 00:00 UTC), a 5-byte "UT" extra field with mtime 0, data
 * descriptors with signature, ZIP64 extra and end records above 4 GiB.
 */
export const U32_MAX = 0xffff_ffff;
export const U16_MAX = 0xffff;

export const DOS_TIME = 0;
export const DOS_DATE = 0xec21;
const CREATOR_VERSION = 0x0314;
const VERSION_20 = 20;
const VERSION_45 = 45;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const METHOD_DEFLATE = 8;
const S_IFREG = 0o100000;
const MSDOS_READONLY = 0x01;

export interface EntryRecord {
  name: Uint8Array;
  flags: number;
  /** Permission bits of the source file (e.g. 0o600). */
  mode: number;
  crc: number;
  compressed: number;
  uncompressed: number;
  offset: number;
}

/** Go's detectUTF8: the UTF-8 flag is set when a rune is < 0x20, > 0x7d or '\\'. */
export function flagsFor(name: string): number {
  const needs = [...name].some((c) => {
    const r = c.codePointAt(0)!;
    return r < 0x20 || r > 0x7d || r === 0x5c;
  });
  return FLAG_DATA_DESCRIPTOR | (needs ? FLAG_UTF8 : 0);
}

/** "UT" extended timestamp, flags 1 (mtime), mtime 0. */
function utExtra(): Uint8Array {
  const b = new Uint8Array(9);
  const v = new DataView(b.buffer);
  v.setUint16(0, 0x5455, true);
  v.setUint16(2, 5, true);
  b[4] = 1;
  v.setUint32(5, 0, true);
  return b;
}

export const isZip64 = (e: Pick<EntryRecord, "compressed" | "uncompressed">) => e.compressed >= U32_MAX || e.uncompressed >= U32_MAX;

export function localHeader(name: Uint8Array, flags: number): Uint8Array {
  const extra = utExtra();
  const b = new Uint8Array(30 + name.byteLength + extra.byteLength);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(4, VERSION_20, true);
  v.setUint16(6, flags, true);
  v.setUint16(8, METHOD_DEFLATE, true);
  v.setUint16(10, DOS_TIME, true);
  v.setUint16(12, DOS_DATE, true);
  // CRC and sizes (14..25) stay 0: they follow in the data descriptor.
  v.setUint16(26, name.byteLength, true);
  v.setUint16(28, extra.byteLength, true);
  b.set(name, 30);
  b.set(extra, 30 + name.byteLength);
  return b;
}

export function dataDescriptor(e: EntryRecord): Uint8Array {
  const zip64 = isZip64(e);
  const b = new Uint8Array(zip64 ? 24 : 16);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x08074b50, true);
  v.setUint32(4, e.crc >>> 0, true);
  if (zip64) {
    v.setBigUint64(8, BigInt(e.compressed), true);
    v.setBigUint64(16, BigInt(e.uncompressed), true);
  } else {
    v.setUint32(8, e.compressed, true);
    v.setUint32(12, e.uncompressed, true);
  }
  return b;
}

export function centralHeader(e: EntryRecord): Uint8Array {
  const zip64 = isZip64(e);
  const needs64 = zip64 || e.offset >= U32_MAX;
  const ut = utExtra();
  const extraLen = ut.byteLength + (needs64 ? 28 : 0);
  const b = new Uint8Array(46 + e.name.byteLength + extraLen);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x02014b50, true);
  v.setUint16(4, CREATOR_VERSION, true);
  v.setUint16(6, zip64 ? VERSION_45 : VERSION_20, true);
  v.setUint16(8, e.flags, true);
  v.setUint16(10, METHOD_DEFLATE, true);
  v.setUint16(12, DOS_TIME, true);
  v.setUint16(14, DOS_DATE, true);
  v.setUint32(16, e.crc >>> 0, true);
  v.setUint32(20, needs64 ? U32_MAX : e.compressed, true);
  v.setUint32(24, needs64 ? U32_MAX : e.uncompressed, true);
  v.setUint16(28, e.name.byteLength, true);
  v.setUint16(30, extraLen, true);
  v.setUint16(32, 0, true); // comment
  v.setUint16(34, 0, true); // disk
  v.setUint16(36, 0, true); // internal attributes
  const unixMode = S_IFREG | (e.mode & 0o7777);
  v.setUint32(38, ((unixMode << 16) | (e.mode & 0o200 ? 0 : MSDOS_READONLY)) >>> 0, true);
  v.setUint32(42, needs64 ? U32_MAX : e.offset, true);
  b.set(e.name, 46);
  let p = 46 + e.name.byteLength;
  b.set(ut, p);
  p += ut.byteLength;
  if (needs64) {
    v.setUint16(p, 0x0001, true);
    v.setUint16(p + 2, 24, true);
    v.setBigUint64(p + 4, BigInt(e.uncompressed), true);
    v.setBigUint64(p + 12, BigInt(e.compressed), true);
    v.setBigUint64(p + 20, BigInt(e.offset), true);
  }
  return b;
}

/** End of central directory, preceded by the ZIP64 end record and locator when Go would write them. */
export function endRecords(records: number, dirOffset: number, dirSize: number): Uint8Array {
  const needs64 = records >= U16_MAX || dirSize >= U32_MAX || dirOffset >= U32_MAX;
  const b = new Uint8Array((needs64 ? 56 + 20 : 0) + 22);
  const v = new DataView(b.buffer);
  let p = 0;
  if (needs64) {
    v.setUint32(0, 0x06064b50, true);
    v.setBigUint64(4, 44n, true); // size of the rest of this record
    v.setUint16(12, VERSION_45, true);
    v.setUint16(14, VERSION_45, true);
    v.setUint32(16, 0, true);
    v.setUint32(20, 0, true);
    v.setBigUint64(24, BigInt(records), true);
    v.setBigUint64(32, BigInt(records), true);
    v.setBigUint64(40, BigInt(dirSize), true);
    v.setBigUint64(48, BigInt(dirOffset), true);
    v.setUint32(56, 0x07064b50, true);
    v.setUint32(60, 0, true);
    v.setBigUint64(64, BigInt(dirOffset + dirSize), true); // where the ZIP64 end record starts
    v.setUint32(72, 1, true);
    p = 76;
  }
  v.setUint32(p, 0x06054b50, true);
  v.setUint16(p + 4, 0, true);
  v.setUint16(p + 6, 0, true);
  v.setUint16(p + 8, needs64 ? U16_MAX : records, true);
  v.setUint16(p + 10, needs64 ? U16_MAX : records, true);
  v.setUint32(p + 12, needs64 ? U32_MAX : dirSize, true);
  v.setUint32(p + 16, needs64 ? U32_MAX : dirOffset, true);
  v.setUint16(p + 20, 0, true);
  return b;
}
