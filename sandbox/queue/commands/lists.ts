// List commands (redis.io "Lists"; docs/interop.md §5.3). An emptied list is deleted.
// Pushes signal blocked clients, which are served after the command completes (blocking.ts).
import type { Deque } from '../store/deque';
import type { CommandContext, CommandSpec } from './types';
import { cmd, E, intArg, toInt } from './types';

type Side = 'left' | 'right';

function side(s: string): Side | null {
  const u = s.toLowerCase();
  return u === 'left' ? 'left' : u === 'right' ? 'right' : null;
}

function push(where: Side, onlyIfExists: boolean) {
  return (ctx: CommandContext): void => {
    const { argv, db, client: c, engine } = ctx;
    const key = argv[1]!;
    const l = engine.list(db, key, !onlyIfExists);
    if (l === 'wrongtype') return c.error(E.WRONGTYPE);
    if (l === null) return c.int(0);
    for (let i = 2; i < argv.length; i++) {
      if (where === 'left') l.pushFront(argv[i]!);
      else l.pushBack(argv[i]!);
    }
    c.int(l.length);
    engine.propagate(db.index, argv);
    engine.blocking.signal(db.index, key);
    engine.traceQueue('push', key, { length: l.length, count: argv.length - 2, client: c });
  };
}

function pop(where: Side) {
  return (ctx: CommandContext): void => {
    const { argv, db, client: c, engine } = ctx;
    if (argv.length > 3) return c.error(`ERR wrong number of arguments for '${argv[0]!.toLowerCase()}' command`);
    let count = -1;
    if (argv.length === 3) {
      // Redis getPositiveLongFromObjectOrReply: one message for both cases.
      const n = toInt(argv[2]!);
      if (Number.isNaN(n) || n < 0) return c.error(E.NOT_POSITIVE);
      count = n;
    }
    const key = argv[1]!;
    const l = engine.list(db, key, false);
    if (l === null) return count >= 0 ? c.nullArray() : c.nullBulk();
    if (l === 'wrongtype') return c.error(E.WRONGTYPE);
    if (count === 0) return c.arrayLen(0);
    if (count < 0) {
      c.bulk(where === 'left' ? l.popFront()! : l.popBack()!);
      count = 1;
    } else {
      const n = Math.min(count, l.length);
      c.arrayLen(n);
      for (let i = 0; i < n; i++) c.bulk(where === 'left' ? l.popFront()! : l.popBack()!);
      count = n;
    }
    if (l.length === 0) db.delete(key);
    engine.propagate(db.index, argv);
    engine.traceQueue('pop', key, { length: l.length, count, client: c });
  };
}

/** Redis LRANGE/LTRIM index normalisation; returns [start, end) clamped, possibly empty. */
function range(len: number, start: number, stop: number): [number, number] {
  if (start < 0) start = len + start;
  if (stop < 0) stop = len + stop;
  if (start < 0) start = 0;
  if (start > stop || start >= len) return [0, 0];
  if (stop >= len) stop = len - 1;
  return [start, stop + 1];
}

/** LMOVE core (also RPOPLPUSH and the non-blocking path of BLMOVE). Replies; returns false on error. */
export function lmove(ctx: CommandContext, src: string, dst: string, from: Side, to: Side): void {
  const { db, client: c, engine } = ctx;
  const s = engine.list(db, src, false);
  if (s === null) return c.nullBulk();
  if (s === 'wrongtype') return c.error(E.WRONGTYPE);
  const dv = db.get(dst);
  if (dv !== undefined && typeof dv === 'string') return c.error(E.WRONGTYPE);
  const value = from === 'left' ? s.popFront()! : s.popBack()!;
  const srcLen = s.length;
  if (srcLen === 0) db.delete(src);
  const d = engine.list(db, dst, true) as Deque;
  if (to === 'left') d.pushFront(value);
  else d.pushBack(value);
  c.bulk(value);
  engine.propagate(db.index, ['LMOVE', src, dst, from.toUpperCase(), to.toUpperCase()]);
  engine.blocking.signal(db.index, dst);
  engine.traceQueue('move', src, { dest: dst, length: srcLen, count: 1, client: c });
}

/** Redis getTimeoutFromObjectOrReply (UNIT_SECONDS): ms, or null after replying. */
function timeoutArg(ctx: CommandContext, s: string): number | null {
  const c = ctx.client;
  const n = s === '' || /^\s|\s$/.test(s) ? NaN : Number(s);
  if (Number.isNaN(n)) {
    c.error('ERR timeout is not a float or out of range');
    return null;
  }
  const ms = n * 1000;
  if (ms > 9223372036854775807) {
    c.error('ERR timeout is out of range');
    return null;
  }
  const t = Math.ceil(ms);
  if (t < 0) {
    c.error('ERR timeout is negative');
    return null;
  }
  return t;
}

function bpop(where: Side) {
  return (ctx: CommandContext): void => {
    const { argv, db, client: c, engine } = ctx;
    const timeout = timeoutArg(ctx, argv[argv.length - 1]!);
    if (timeout === null) return;
    const keys = argv.slice(1, -1);
    for (const key of keys) {
      const l = engine.list(db, key, false);
      if (l === null) continue;
      if (l === 'wrongtype') return c.error(E.WRONGTYPE);
      // The first non-empty key wins (redis.io BLPOP "Non-blocking behavior").
      const value = where === 'left' ? l.popFront()! : l.popBack()!;
      if (l.length === 0) db.delete(key);
      c.arrayLen(2);
      c.bulk(key);
      c.bulk(value);
      engine.propagate(db.index, [where === 'left' ? 'LPOP' : 'RPOP', key]);
      engine.traceQueue('pop', key, { length: l.length, count: 1, client: c });
      return;
    }
    if (ctx.inTransaction) return c.nullArray();
    engine.blocking.block(c, { keys, db: db.index, from: where }, timeout);
  };
}

function blmoveGeneric(ctx: CommandContext, src: string, dst: string, from: Side, to: Side, timeoutStr: string): void {
  const { db, client: c, engine } = ctx;
  const timeout = timeoutArg(ctx, timeoutStr);
  if (timeout === null) return;
  const s = engine.list(db, src, false);
  if (s === 'wrongtype') return c.error(E.WRONGTYPE);
  if (s !== null) return lmove(ctx, src, dst, from, to);
  if (ctx.inTransaction) return c.nullArray();
  engine.blocking.block(c, { keys: [src], db: db.index, from, dest: dst, to }, timeout);
}

export const listCommands: CommandSpec[] = [
  cmd('lpush', -3, ['write', 'fast'], push('left', false)),
  cmd('rpush', -3, ['write', 'fast'], push('right', false)),
  cmd('lpushx', -3, ['write', 'fast'], push('left', true)),
  cmd('rpushx', -3, ['write', 'fast'], push('right', true)),
  cmd('lpop', -2, ['write', 'fast'], pop('left')),
  cmd('rpop', -2, ['write', 'fast'], pop('right')),
  cmd('llen', 2, ['readonly', 'fast'], (ctx) => {
    const l = ctx.engine.list(ctx.db, ctx.argv[1]!, false);
    if (l === 'wrongtype') return ctx.client.error(E.WRONGTYPE);
    ctx.client.int(l === null ? 0 : l.length);
  }),
  cmd('lrange', 4, ['readonly'], (ctx) => {
    const start = intArg(ctx, ctx.argv[2]!);
    if (start === null) return;
    const stop = intArg(ctx, ctx.argv[3]!);
    if (stop === null) return;
    const l = ctx.engine.list(ctx.db, ctx.argv[1]!, false);
    if (l === 'wrongtype') return ctx.client.error(E.WRONGTYPE);
    if (l === null) return ctx.client.arrayLen(0);
    const [a, b] = range(l.length, start, stop);
    ctx.client.bulkArray(l.slice(a, b));
  }),
  cmd('lindex', 3, ['readonly'], (ctx) => {
    const i = intArg(ctx, ctx.argv[2]!);
    if (i === null) return;
    const l = ctx.engine.list(ctx.db, ctx.argv[1]!, false);
    if (l === 'wrongtype') return ctx.client.error(E.WRONGTYPE);
    if (l === null) return ctx.client.nullBulk();
    ctx.client.bulkOrNull(l.get(i < 0 ? l.length + i : i));
  }),
  cmd('lset', 4, ['write'], (ctx) => {
    const { argv, db, client: c, engine } = ctx;
    const i = intArg(ctx, argv[2]!);
    if (i === null) return;
    const l = engine.list(db, argv[1]!, false);
    if (l === null) return c.error(E.NO_SUCH_KEY);
    if (l === 'wrongtype') return c.error(E.WRONGTYPE);
    const idx = i < 0 ? l.length + i : i;
    if (idx < 0 || idx >= l.length) return c.error(E.OUT_OF_RANGE);
    l.set(idx, argv[3]!);
    engine.propagate(db.index, argv);
    c.simple('OK');
  }),
  cmd('linsert', 5, ['write'], (ctx) => {
    const { argv, db, client: c, engine } = ctx;
    const where = argv[2]!.toLowerCase();
    if (where !== 'before' && where !== 'after') return c.error(E.SYNTAX);
    const l = engine.list(db, argv[1]!, false);
    if (l === null) return c.int(0);
    if (l === 'wrongtype') return c.error(E.WRONGTYPE);
    const items = l.toArray();
    const at = items.indexOf(argv[3]!);
    if (at < 0) return c.int(-1);
    items.splice(where === 'before' ? at : at + 1, 0, argv[4]!);
    l.replace(items);
    c.int(l.length);
    engine.propagate(db.index, argv);
    engine.blocking.signal(db.index, argv[1]!);
    engine.traceQueue('push', argv[1]!, { length: l.length, count: 1, client: c });
  }),
  cmd('lrem', 4, ['write'], (ctx) => {
    const { argv, db, client: c, engine } = ctx;
    const count = intArg(ctx, argv[2]!);
    if (count === null) return;
    const key = argv[1]!;
    const l = engine.list(db, key, false);
    if (l === null) return c.int(0);
    if (l === 'wrongtype') return c.error(E.WRONGTYPE);
    const items = l.toArray();
    const target = argv[3]!;
    let removed = 0;
    const limit = count === 0 ? Infinity : Math.abs(count);
    if (count >= 0) {
      const kept: string[] = [];
      for (const it of items) {
        if (removed < limit && it === target) removed++;
        else kept.push(it);
      }
      if (removed) l.replace(kept);
    } else {
      const kept: string[] = [];
      for (let i = items.length - 1; i >= 0; i--) {
        if (removed < limit && items[i] === target) removed++;
        else kept.push(items[i]!);
      }
      if (removed) l.replace(kept.reverse());
    }
    if (removed > 0) {
      if (l.length === 0) db.delete(key);
      engine.propagate(db.index, argv);
      engine.traceQueue('remove', key, { length: l.length, count: removed, client: c });
    }
    c.int(removed);
  }),
  cmd('ltrim', 4, ['write'], (ctx) => {
    const { argv, db, client: c, engine } = ctx;
    const start = intArg(ctx, argv[2]!);
    if (start === null) return;
    const stop = intArg(ctx, argv[3]!);
    if (stop === null) return;
    const key = argv[1]!;
    const l = engine.list(db, key, false);
    if (l === 'wrongtype') return c.error(E.WRONGTYPE);
    if (l !== null) {
      const before = l.length;
      const [a, b] = range(l.length, start, stop);
      l.replace(l.slice(a, b));
      if (l.length === 0) db.delete(key);
      if (l.length !== before) {
        engine.propagate(db.index, argv);
        engine.traceQueue('trim', key, { length: l.length, count: before - l.length, client: c });
      }
    }
    c.simple('OK');
  }),
  cmd('lmove', 5, ['write'], (ctx) => {
    const from = side(ctx.argv[3]!);
    const to = side(ctx.argv[4]!);
    if (from === null || to === null) return ctx.client.error(E.SYNTAX);
    lmove(ctx, ctx.argv[1]!, ctx.argv[2]!, from, to);
  }),
  cmd('rpoplpush', 3, ['write'], (ctx) => lmove(ctx, ctx.argv[1]!, ctx.argv[2]!, 'right', 'left')),
  cmd('blpop', -3, ['write', 'blocking'], bpop('left')),
  cmd('brpop', -3, ['write', 'blocking'], bpop('right')),
  cmd('blmove', 6, ['write', 'blocking'], (ctx) => {
    const from = side(ctx.argv[3]!);
    const to = side(ctx.argv[4]!);
    if (from === null || to === null) return ctx.client.error(E.SYNTAX);
    blmoveGeneric(ctx, ctx.argv[1]!, ctx.argv[2]!, from, to, ctx.argv[5]!);
  }),
  cmd('brpoplpush', 4, ['write', 'blocking'], (ctx) => blmoveGeneric(ctx, ctx.argv[1]!, ctx.argv[2]!, 'right', 'left', ctx.argv[3]!)),
];
