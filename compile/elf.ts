/**
 * Just enough ELF64 little-endian (x86-64, aarch64) to check and mend what patchelf does to the
 * compiled executable: program and section headers, the dynamic table, the interpreter.
 * Hand-written because no npm ELF reader can also rewrite a dynamic entry in place, and the one
 * fix we need (see fixDynamicPointers) is a few bytes (docs/packaging.md).
 */
import { ErrorCode, RkeToolsError } from "../src/errors.ts";

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;

export const DT = {
  NULL: 0,
  NEEDED: 1,
  HASH: 4,
  STRTAB: 5,
  SYMTAB: 6,
  RELA: 7,
  STRSZ: 10,
  RPATH: 15,
  JMPREL: 23,
  RUNPATH: 29,
  GNU_HASH: 0x6ffffef5,
  VERSYM: 0x6ffffff0,
  VERDEF: 0x6ffffffc,
  VERNEED: 0x6ffffffe,
} as const;

/** Dynamic tags whose value is the address of one section, so the two must agree. */
export const DYNAMIC_SECTION: ReadonlyArray<[tag: number, section: string]> = [
  [DT.STRTAB, ".dynstr"],
  [DT.SYMTAB, ".dynsym"],
  [DT.HASH, ".hash"],
  [DT.GNU_HASH, ".gnu.hash"],
  [DT.VERSYM, ".gnu.version"],
  [DT.VERDEF, ".gnu.version_d"],
  [DT.VERNEED, ".gnu.version_r"],
  [DT.RELA, ".rela.dyn"],
  [DT.JMPREL, ".rela.plt"],
];

export interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}
export interface Section {
  name: string;
  type: number;
  addr: number;
  offset: number;
  size: number;
}
export interface DynEntry {
  tag: number;
  value: number /** file offset of the entry */;
  at: number;
}

export interface Elf {
  machine: "x86-64" | "aarch64";
  segments: Segment[];
  sections: Section[];
  dynamic: DynEntry[];
  interpreter: string | undefined;
  /** DT_NEEDED, DT_RPATH, DT_RUNPATH read through DT_STRTAB as the loader does. */
  needed: string[];
  rpath: string | undefined;
  runpath: string | undefined;
}

const MACHINES: Record<number, Elf["machine"]> = { 62: "x86-64", 183: "aarch64" };

function bad(why: string): RkeToolsError {
  return new RkeToolsError(ErrorCode.InvalidInput, `Cannot read ELF file: ${why}`);
}

function cstring(buf: Uint8Array, at: number): string {
  const end = buf.indexOf(0, at);
  if (end < 0) throw bad(`string at ${at} is not terminated`);
  return new TextDecoder().decode(buf.subarray(at, end));
}

/** File offset of a virtual address, through the PT_LOAD segment that maps it. */
export function fileOffset(segments: Segment[], vaddr: number): number {
  const seg = segments.find((s) => s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz);
  if (!seg) throw bad(`address 0x${vaddr.toString(16)} is not in any loaded segment`);
  return seg.offset + (vaddr - seg.vaddr);
}

export function parseElf(buf: Uint8Array): Elf {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 64 || v.getUint32(0) !== 0x7f454c46) throw bad("no ELF magic");
  if (buf[4] !== 2 || buf[5] !== 1) throw bad("not a 64-bit little-endian ELF file");
  const machine = MACHINES[v.getUint16(18, true)];
  if (!machine) throw bad(`machine ${v.getUint16(18, true)} is neither x86-64 nor aarch64`);
  const u64 = (at: number) => Number(v.getBigUint64(at, true));

  const phoff = u64(32),
    phentsize = v.getUint16(54, true),
    phnum = v.getUint16(56, true);
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    segments.push({ type: v.getUint32(p, true), offset: u64(p + 8), vaddr: u64(p + 16), filesz: u64(p + 32), memsz: u64(p + 40) });
  }

  const shoff = u64(40),
    shentsize = v.getUint16(58, true),
    shnum = v.getUint16(60, true),
    shstrndx = v.getUint16(62, true);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const s = shoff + i * shentsize;
    return { nameAt: v.getUint32(s, true), type: v.getUint32(s + 4, true), addr: u64(s + 16), offset: u64(s + 24), size: u64(s + 32) };
  });
  const names = raw[shstrndx];
  const sections: Section[] = raw.map((s) => ({ ...s, name: names ? cstring(buf, names.offset + s.nameAt) : "" }));

  const dynSeg = segments.find((s) => s.type === PT_DYNAMIC);
  const dynamic: DynEntry[] = [];
  if (dynSeg) {
    for (let at = dynSeg.offset; at + 16 <= dynSeg.offset + dynSeg.filesz; at += 16) {
      const tag = u64(at);
      dynamic.push({ tag, value: u64(at + 8), at });
      if (tag === DT.NULL) break;
    }
  }
  const interp = segments.find((s) => s.type === PT_INTERP);
  const strtab = dynamic.find((d) => d.tag === DT.STRTAB);
  const str = (d: DynEntry) => {
    if (!strtab) throw bad("dynamic table has no DT_STRTAB");
    return cstring(buf, fileOffset(segments, strtab.value) + d.value);
  };
  const one = (tag: number) => {
    const d = dynamic.find((e) => e.tag === tag);
    return d && str(d);
  };
  return {
    machine,
    segments,
    sections,
    dynamic,
    interpreter: interp && cstring(buf, interp.offset),
    needed: dynamic.filter((d) => d.tag === DT.NEEDED).map(str),
    rpath: one(DT.RPATH),
    runpath: one(DT.RUNPATH),
  };
}

/** Dynamic entries that disagree with the section they name: [tag, entry value, section address]. */
export function dynamicMismatches(elf: Elf): Array<[tag: number, value: number, addr: number]> {
  const out: Array<[number, number, number]> = [];
  for (const [tag, name] of DYNAMIC_SECTION) {
    const entry = elf.dynamic.find((d) => d.tag === tag);
    const section = elf.sections.find((s) => s.name === name);
    if (entry && section && entry.value !== section.addr) out.push([tag, entry.value, section.addr]);
  }
  return out;
}

/**
 * Points every dynamic entry back at its section (the section headers are right after patchelf;
 * patchelf 0.14 forgets DT_VERDEF when it moves .gnu.version_d, leaving it aimed at the bytes it
 * overwrote with 'X'). Rewrites `buf` in place; returns the tags it changed.
 */
export function fixDynamicPointers(buf: Uint8Array): number[] {
  const elf = parseElf(buf);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fixed: number[] = [];
  for (const [tag, , addr] of dynamicMismatches(elf)) {
    const entry = elf.dynamic.find((d) => d.tag === tag)!;
    v.setBigUint64(entry.at + 8, BigInt(addr), true);
    fixed.push(tag);
  }
  return fixed;
}

/** The bytes of one section (e.g. ".bun", where Bun keeps the embedded program). */
export function sectionBytes(buf: Uint8Array, elf: Elf, name: string): Uint8Array | undefined {
  const s = elf.sections.find((x) => x.name === name);
  return s && buf.subarray(s.offset, s.offset + s.size);
}
