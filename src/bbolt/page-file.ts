/**
 * Pages of a bbolt file by positioned reads: nothing is mapped or buffered whole, so an 8 GiB
 * database costs what one walk's stack of pages costs.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { PAGE_HEADER_SIZE, pageHeader, type PageHeader } from "./layout.ts";

export class PageFile {
  readonly size: number;
  private readonly fd: number;
  private readonly owned: boolean;
  pageSize = 4096;
  /** Bytes read so far, for the report. */
  bytesRead = 0;

  /** Opens `path`, or reads the descriptor `fd` (left open on close) and names it `path`. */
  constructor(
    readonly path: string,
    fd?: number,
  ) {
    this.owned = fd === undefined;
    this.fd = fd ?? openSync(path, "r");
    this.size = fstatSync(this.fd).size;
  }

  /** Up to `length` bytes at `offset` (fewer at the end of the file). */
  read(offset: number, length: number): Buffer {
    const b = Buffer.allocUnsafe(length);
    const got = this.readInto(b, 0, offset);
    return got === length ? b : b.subarray(0, got);
  }

  /** Fills `b` from `at` on with the bytes at `offset`; returns how many it got. */
  private readInto(b: Buffer, at: number, offset: number): number {
    let got = 0;
    while (at + got < b.byteLength) {
      const n = readSync(this.fd, b, at + got, b.byteLength - at - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    this.bytesRead += got;
    return at + got;
  }

  /** Page `id` with its overflow pages when `withOverflow` allows them (the caller checked the bounds). */
  page(id: number, withOverflow: (h: PageHeader) => boolean): { header: PageHeader; data: Buffer } {
    const first = this.read(id * this.pageSize, this.pageSize);
    if (first.byteLength < PAGE_HEADER_SIZE) return { header: { id: -1, flags: 0, count: 0, overflow: 0 }, data: first };
    const header = pageHeader(first);
    if (header.overflow === 0 || !withOverflow(header)) return { header, data: first };
    // The rest straight into the whole page's buffer: values of etcd objects are mostly overflow.
    const whole = Buffer.allocUnsafe((1 + header.overflow) * this.pageSize);
    first.copy(whole);
    const got = this.readInto(whole, this.pageSize, (id + 1) * this.pageSize);
    return { header, data: got === whole.byteLength ? whole : whole.subarray(0, got) };
  }

  close(): void {
    if (this.owned) closeSync(this.fd);
  }
}
