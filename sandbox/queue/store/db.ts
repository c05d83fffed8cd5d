import { Deque } from './deque';

/** A value: a list, or a string (latin1-coded bytes, see resp/parser.ts). */
export type Value = Deque | string;

/** One logical database (SELECT n): keys, values and absolute expiry times (ms). */
export class Db {
  readonly data = new Map<string, Value>();
  readonly expires = new Map<string, number>();

  constructor(readonly index: number) {}

  /** The live value, expiring it first if its time has passed (Redis lazy expiry). */
  get(key: string): Value | undefined {
    if (this.expires.size > 0) this.expireIfNeeded(key);
    return this.data.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, v: Value): void {
    this.data.set(key, v);
  }

  delete(key: string): boolean {
    this.expires.delete(key);
    return this.data.delete(key);
  }

  expireIfNeeded(key: string): boolean {
    const at = this.expires.get(key);
    if (at !== undefined && at <= Date.now()) {
      this.expires.delete(key);
      this.data.delete(key);
      return true;
    }
    return false;
  }

  /** Drop every expired key (the periodic active-expiry cycle). Returns how many. */
  sweep(): number {
    if (this.expires.size === 0) return 0;
    const now = Date.now();
    let n = 0;
    for (const [k, at] of this.expires) {
      if (at <= now) {
        this.expires.delete(k);
        this.data.delete(k);
        n++;
      }
    }
    return n;
  }

  /** Live keys (expired ones are removed first). */
  keys(): string[] {
    this.sweep();
    return [...this.data.keys()];
  }

  get size(): number {
    this.sweep();
    return this.data.size;
  }

  clear(): void {
    this.data.clear();
    this.expires.clear();
  }
}

export function isList(v: Value | undefined): v is Deque {
  return v instanceof Deque;
}
