/** What a check found wrong, each naming where; kept to a bounded number, the rest counted. */
export interface Problem {
  /** "meta page 0", "page 57 (offset 233472)", "bucket key" … */
  where: string;
  what: string;
}

export class Problems {
  readonly list: Problem[] = [];
  /** Problems beyond the kept ones. */
  more = 0;

  constructor(private readonly keep = 50) {}

  add(where: string, what: string): void {
    if (this.list.length < this.keep) this.list.push({ where, what });
    else this.more++;
  }

  get count(): number {
    return this.list.length + this.more;
  }
}
