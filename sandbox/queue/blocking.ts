import type { BlockState, Client } from './client';
import type { Engine } from './engine';
import { isList } from './store/db';
import { E } from './commands/types';

/**
 * Clients blocked on lists (redis.io BLPOP "Blocking behavior", "What key is served
 * first?", "Behavior of BLPOP when multiple elements are pushed inside a list"):
 * - FIFO per key: the client that waited longest is served first;
 * - served only after the command that pushed completes, key by key in arrival order;
 * - a served BLMOVE may itself make its destination ready; that is served too;
 * - a client that disconnects while blocked is just removed: no element is taken.
 */
export class Blocking {
  /** "db\0key" → clients waiting, oldest first. */
  private readonly waiters = new Map<string, Client[]>();
  private ready: string[] = [];
  private readonly readySet = new Set<string>();

  constructor(private readonly engine: Engine) {}

  get hasReady(): boolean {
    return this.ready.length > 0;
  }

  get blockedCount(): number {
    let n = 0;
    for (const c of this.engine.clients) if (c.blocked) n++;
    return n;
  }

  /** Called by every command that adds elements to a list. Cheap when nobody waits. */
  signal(db: number, key: string): void {
    if (this.waiters.size === 0) return;
    const dk = db + '\0' + key;
    if (!this.waiters.has(dk) || this.readySet.has(dk)) return;
    this.readySet.add(dk);
    this.ready.push(dk);
  }

  block(c: Client, state: Omit<BlockState, 'timer'>, timeoutMs: number): void {
    const st: BlockState = { ...state, timer: null };
    c.blocked = st;
    for (const k of new Set(state.keys)) {
      const dk = state.db + '\0' + k;
      let list = this.waiters.get(dk);
      if (!list) this.waiters.set(dk, (list = []));
      list.push(c);
    }
    if (timeoutMs > 0) {
      st.timer = setTimeout(() => {
        if (c.blocked !== st) return;
        this.unblock(c);
        c.nullArray();
        this.engine.markDirty(c);
        this.engine.resume(c);
      }, timeoutMs);
    }
  }

  /** Forget a blocked client (served, timed out, disconnected). */
  unblock(c: Client): void {
    const st = c.blocked;
    if (!st) return;
    c.blocked = null;
    if (st.timer) clearTimeout(st.timer);
    for (const k of st.keys) {
      const dk = st.db + '\0' + k;
      const list = this.waiters.get(dk);
      if (!list) continue;
      const i = list.indexOf(c);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.waiters.delete(dk);
    }
  }

  /** Serve clients blocked on keys that received data (Redis handleClientsBlockedOnKeys). */
  serveReady(): void {
    const e = this.engine;
    while (this.ready.length > 0) {
      const batch = this.ready;
      this.ready = [];
      this.readySet.clear();
      for (const dk of batch) {
        const sep = dk.indexOf('\0');
        const dbIndex = Number(dk.slice(0, sep));
        const key = dk.slice(sep + 1);
        const db = e.dbs[dbIndex]!;
        for (;;) {
          const waiters = this.waiters.get(dk);
          if (!waiters || waiters.length === 0) break;
          const src = db.get(key);
          if (!isList(src) || src.length === 0) break;
          const c = waiters[0]!;
          const st = c.blocked!;
          if (st.dest !== undefined) {
            const dv = db.get(st.dest);
            if (dv !== undefined && !isList(dv)) {
              // Redis 7 replies WRONGTYPE to that client and keeps the element.
              this.unblock(c);
              c.error(E.WRONGTYPE);
              e.markDirty(c);
              e.resume(c);
              continue;
            }
          }
          const value = st.from === 'left' ? src.popFront()! : src.popBack()!;
          if (src.length === 0) db.delete(key);
          this.unblock(c);
          if (st.dest !== undefined) {
            const dest = e.list(db, st.dest, true) as import('./store/deque').Deque;
            if (st.to === 'left') dest.pushFront(value);
            else dest.pushBack(value);
            c.bulk(value);
            // AOF: the served BLMOVE is logged as LMOVE (docs/interop.md §5.3).
            e.propagate(dbIndex, ['LMOVE', key, st.dest, st.from.toUpperCase(), st.to!.toUpperCase()]);
            e.traceQueue('move', key, { dest: st.dest, length: src.length, count: 1, client: c });
            this.signal(dbIndex, st.dest);
          } else {
            c.arrayLen(2);
            c.bulk(key);
            c.bulk(value);
            e.propagate(dbIndex, [st.from === 'left' ? 'LPOP' : 'RPOP', key]);
            e.traceQueue('pop', key, { length: src.length, count: 1, client: c });
          }
          e.markDirty(c);
          e.resume(c);
        }
      }
    }
  }
}
