// A list value: a growable ring buffer, O(1) push/pop at both ends and O(1) indexing
// (LINDEX, LRANGE, LSET). Redis uses a quicklist for the same reasons.

export class Deque {
  private buf: (string | undefined)[];
  private head = 0;
  private mask: number;
  length = 0;

  constructor(capacity = 8) {
    let cap = 8;
    while (cap < capacity) cap <<= 1;
    this.buf = new Array(cap);
    this.mask = cap - 1;
  }

  private grow(): void {
    const old = this.buf;
    const cap = old.length * 2;
    const next = new Array<string | undefined>(cap);
    for (let i = 0; i < this.length; i++) next[i] = old[(this.head + i) & this.mask];
    this.buf = next;
    this.head = 0;
    this.mask = cap - 1;
  }

  pushBack(v: string): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[(this.head + this.length) & this.mask] = v;
    this.length++;
  }

  pushFront(v: string): void {
    if (this.length === this.buf.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = v;
    this.length++;
  }

  popFront(): string | undefined {
    if (this.length === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    return v;
  }

  popBack(): string | undefined {
    if (this.length === 0) return undefined;
    const i = (this.head + this.length - 1) & this.mask;
    const v = this.buf[i];
    this.buf[i] = undefined;
    this.length--;
    return v;
  }

  /** Element at index 0..length-1 (no bounds check beyond returning undefined). */
  get(i: number): string | undefined {
    if (i < 0 || i >= this.length) return undefined;
    return this.buf[(this.head + i) & this.mask];
  }

  set(i: number, v: string): void {
    this.buf[(this.head + i) & this.mask] = v;
  }

  /** Elements [start, end) as an array. */
  slice(start: number, end: number): string[] {
    const out = new Array<string>(Math.max(0, end - start));
    for (let i = start; i < end; i++) out[i - start] = this.buf[(this.head + i) & this.mask]!;
    return out;
  }

  /** Replace the whole content. */
  replace(items: string[]): void {
    let cap = 8;
    while (cap < items.length) cap <<= 1;
    this.buf = new Array(cap);
    for (let i = 0; i < items.length; i++) this.buf[i] = items[i];
    this.mask = cap - 1;
    this.head = 0;
    this.length = items.length;
  }

  toArray(): string[] {
    return this.slice(0, this.length);
  }
}
