// String commands (redis.io "Strings"): GET, SET (NX|XX, EX|PX|EXAT|PXAT|KEEPTTL, GET),
// INCR/INCRBY/DECR/DECRBY, MGET. Values are latin1-coded bytes like every argument.
import { isList } from '../store/db';
import type { CommandContext, CommandSpec } from './types';
import { cmd, E, toInt } from './types';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function set(ctx: CommandContext): void {
  const { argv, db, client: c, engine } = ctx;
  let nx = false, xx = false, get = false, keepttl = false;
  let expUnit: string | null = null;
  let expArg = '';
  for (let j = 3; j < argv.length; j++) {
    const o = argv[j]!.toUpperCase();
    const hasNext = j + 1 < argv.length;
    if (o === 'NX' && !xx) nx = true;
    else if (o === 'XX' && !nx) xx = true;
    else if (o === 'GET') get = true;
    else if (o === 'KEEPTTL' && expUnit === null) keepttl = true;
    else if ((o === 'EX' || o === 'PX' || o === 'EXAT' || o === 'PXAT') && expUnit === null && !keepttl && hasNext) {
      expUnit = o;
      expArg = argv[++j]!;
    } else return c.error(E.SYNTAX);
  }
  let at: number | null = null;
  if (expUnit !== null) {
    const n = toInt(expArg);
    if (Number.isNaN(n)) return c.error(E.NOT_INT);
    if (n <= 0) return c.error(`ERR invalid expire time in '${argv[0]!.toLowerCase()}' command`);
    at = expUnit === 'EX' ? Date.now() + n * 1000 : expUnit === 'PX' ? Date.now() + n : expUnit === 'EXAT' ? n * 1000 : n;
  }
  const key = argv[1]!;
  const old = db.get(key);
  if (get && old !== undefined && isList(old)) return c.error(E.WRONGTYPE);
  if ((nx && old !== undefined) || (xx && old === undefined)) {
    if (get) c.bulkOrNull(old as string | undefined);
    else c.nullBulk();
    return;
  }
  db.set(key, argv[2]!);
  if (at !== null) db.expires.set(key, at);
  else if (!keepttl) db.expires.delete(key);
  // Relative expiries are logged as absolute times so a replay does not extend them.
  const logged = ['SET', key, argv[2]!];
  if (at !== null) logged.push('PXAT', String(at));
  else if (keepttl) logged.push('KEEPTTL');
  engine.propagate(db.index, logged);
  if (get) c.bulkOrNull(old as string | undefined);
  else c.simple('OK');
}

function incrBy(ctx: CommandContext, by: bigint): void {
  const { argv, db, client: c, engine } = ctx;
  const key = argv[1]!;
  const old = db.get(key);
  if (old !== undefined && isList(old)) return c.error(E.WRONGTYPE);
  let cur = 0n;
  if (old !== undefined) {
    if (!/^-?(0|[1-9][0-9]{0,18})$/.test(old) || old === '-0') return c.error(E.NOT_INT);
    cur = BigInt(old);
    if (cur > INT64_MAX || cur < INT64_MIN) return c.error(E.NOT_INT);
  }
  const next = cur + by;
  if (next > INT64_MAX || next < INT64_MIN) return c.error(E.OVERFLOW);
  const s = next.toString();
  db.set(key, s);
  engine.propagate(db.index, ['SET', key, s, 'KEEPTTL']);
  c.out += ':' + s + '\r\n';
}

function bigArg(ctx: CommandContext, s: string): bigint | null {
  if (!/^-?(0|[1-9][0-9]{0,18})$/.test(s) || s === '-0') {
    ctx.client.error(E.NOT_INT);
    return null;
  }
  const n = BigInt(s);
  if (n > INT64_MAX || n < INT64_MIN) {
    ctx.client.error(E.NOT_INT);
    return null;
  }
  return n;
}

export const stringCommands: CommandSpec[] = [
  cmd('get', 2, ['readonly', 'fast'], (ctx) => {
    const v = ctx.db.get(ctx.argv[1]!);
    if (v !== undefined && isList(v)) return ctx.client.error(E.WRONGTYPE);
    ctx.client.bulkOrNull(v);
  }),
  cmd('mget', -2, ['readonly', 'fast'], (ctx) => {
    ctx.client.arrayLen(ctx.argv.length - 1);
    for (let i = 1; i < ctx.argv.length; i++) {
      const v = ctx.db.get(ctx.argv[i]!);
      ctx.client.bulkOrNull(typeof v === 'string' ? v : null);
    }
  }),
  cmd('set', -3, ['write'], set),
  cmd('incr', 2, ['write', 'fast'], (ctx) => incrBy(ctx, 1n)),
  cmd('decr', 2, ['write', 'fast'], (ctx) => incrBy(ctx, -1n)),
  cmd('incrby', 3, ['write', 'fast'], (ctx) => {
    const n = bigArg(ctx, ctx.argv[2]!);
    if (n !== null) incrBy(ctx, n);
  }),
  cmd('decrby', 3, ['write', 'fast'], (ctx) => {
    const n = bigArg(ctx, ctx.argv[2]!);
    if (n !== null) incrBy(ctx, -n);
  }),
];
