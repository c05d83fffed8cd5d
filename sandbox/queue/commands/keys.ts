// Generic keyspace commands (redis.io "Keys"): DEL, EXISTS, TYPE, KEYS, SCAN, DBSIZE,
// FLUSHALL/FLUSHDB, EXPIRE family, TTL/PTTL, PERSIST.
import { globMatch } from '../glob';
import { isList } from '../store/db';
import type { CommandContext, CommandSpec } from './types';
import { cmd, E, intArg } from './types';

function del(ctx: CommandContext): void {
  const { argv, db, engine } = ctx;
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    if (db.get(argv[i]!) !== undefined && db.delete(argv[i]!)) {
      n++;
      engine.traceQueue('delete', argv[i]!, { length: 0 });
    }
  }
  if (n > 0) engine.propagate(db.index, argv);
  ctx.client.int(n);
}

function typeName(ctx: CommandContext, key: string): string {
  const v = ctx.db.get(key);
  return v === undefined ? 'none' : isList(v) ? 'list' : 'string';
}

/** EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX|XX|GT|LT] (Redis 7 expireGenericCommand). */
function expireGeneric(unitMs: number, absolute: boolean) {
  return (ctx: CommandContext): void => {
    const { argv, db, client: c, engine } = ctx;
    const t = intArg(ctx, argv[2]!);
    if (t === null) return;
    let nx = false, xx = false, gt = false, lt = false;
    for (let j = 3; j < argv.length; j++) {
      const o = argv[j]!.toLowerCase();
      if (o === 'nx') nx = true;
      else if (o === 'xx') xx = true;
      else if (o === 'gt') gt = true;
      else if (o === 'lt') lt = true;
      else return c.error(`ERR Unsupported option ${argv[j]}`);
    }
    if (nx && (xx || gt || lt)) return c.error('ERR NX and XX, GT or LT options at the same time are not compatible');
    if (gt && lt) return c.error('ERR GT and LT options at the same time are not compatible');
    const key = argv[1]!;
    if (db.get(key) === undefined) return c.int(0);
    const at = (absolute ? 0 : Date.now()) + t * unitMs;
    const cur = db.expires.get(key);
    if ((nx && cur !== undefined) || (xx && cur === undefined) || (gt && (cur === undefined || at <= cur)) || (lt && cur !== undefined && at >= cur)) {
      return c.int(0);
    }
    if (at <= Date.now()) {
      db.delete(key);
      engine.propagate(db.index, ['DEL', key]);
      engine.traceQueue('delete', key, { length: 0 });
    } else {
      db.expires.set(key, at);
      engine.propagate(db.index, ['PEXPIREAT', key, String(at)]);
    }
    c.int(1);
  };
}

function ttlGeneric(ms: boolean) {
  return (ctx: CommandContext): void => {
    const key = ctx.argv[1]!;
    if (ctx.db.get(key) === undefined) return ctx.client.int(-2);
    const at = ctx.db.expires.get(key);
    if (at === undefined) return ctx.client.int(-1);
    const left = Math.max(0, at - Date.now());
    ctx.client.int(ms ? left : Math.floor((left + 500) / 1000));
  };
}

export const keyCommands: CommandSpec[] = [
  cmd('del', -2, ['write'], del),
  cmd('unlink', -2, ['write', 'fast'], del),
  cmd('exists', -2, ['readonly', 'fast'], (ctx) => {
    let n = 0;
    for (let i = 1; i < ctx.argv.length; i++) if (ctx.db.get(ctx.argv[i]!) !== undefined) n++;
    ctx.client.int(n);
  }),
  cmd('type', 2, ['readonly', 'fast'], (ctx) => ctx.client.simple(typeName(ctx, ctx.argv[1]!))),
  cmd('keys', 2, ['readonly'], (ctx) => {
    const p = ctx.argv[1]!;
    ctx.client.bulkArray(ctx.db.keys().filter((k) => globMatch(p, k)));
  }),
  cmd('scan', -2, ['readonly'], (ctx) => {
    // The whole keyspace in one reply with cursor 0: allowed (COUNT is a hint) and it keeps
    // SCAN's guarantee that every key present throughout the iteration is returned.
    const { argv, client: c } = ctx;
    if (!/^[0-9]+$/.test(argv[1]!)) return c.error('ERR invalid cursor');
    let match = '*';
    let type: string | null = null;
    for (let j = 2; j < argv.length; j++) {
      const o = argv[j]!.toLowerCase();
      const more = argv.length - j - 1;
      if (o === 'match' && more >= 1) match = argv[++j]!;
      else if (o === 'count' && more >= 1) {
        const n = intArg(ctx, argv[++j]!);
        if (n === null) return;
        if (n < 1) return c.error(E.SYNTAX);
      } else if (o === 'type' && more >= 1) type = argv[++j]!.toLowerCase();
      else return c.error(E.SYNTAX);
    }
    const keys = argv[1] === '0' ? ctx.db.keys().filter((k) => globMatch(match, k) && (type === null || typeName(ctx, k) === type)) : [];
    c.arrayLen(2);
    c.bulk('0');
    c.bulkArray(keys);
  }),
  cmd('dbsize', 1, ['readonly', 'fast'], (ctx) => ctx.client.int(ctx.db.size)),
  cmd('flushall', -1, ['write'], (ctx) => {
    if (ctx.argv.length > 2 || (ctx.argv.length === 2 && !/^(sync|async)$/i.test(ctx.argv[1]!))) return ctx.client.error(E.SYNTAX);
    ctx.engine.flushAllData();
    ctx.engine.propagate(ctx.db.index, ['FLUSHALL']);
    ctx.engine.traceQueue('flush', '*');
    ctx.client.simple('OK');
  }),
  cmd('flushdb', -1, ['write'], (ctx) => {
    if (ctx.argv.length > 2 || (ctx.argv.length === 2 && !/^(sync|async)$/i.test(ctx.argv[1]!))) return ctx.client.error(E.SYNTAX);
    ctx.db.clear();
    ctx.engine.propagate(ctx.db.index, ['FLUSHDB']);
    ctx.engine.traceQueue('flush', '*');
    ctx.client.simple('OK');
  }),
  cmd('expire', -3, ['write', 'fast'], expireGeneric(1000, false)),
  cmd('pexpire', -3, ['write', 'fast'], expireGeneric(1, false)),
  cmd('expireat', -3, ['write', 'fast'], expireGeneric(1000, true)),
  cmd('pexpireat', -3, ['write', 'fast'], expireGeneric(1, true)),
  cmd('ttl', 2, ['readonly', 'fast'], ttlGeneric(false)),
  cmd('pttl', 2, ['readonly', 'fast'], ttlGeneric(true)),
  cmd('persist', 2, ['write', 'fast'], (ctx) => {
    const key = ctx.argv[1]!;
    if (ctx.db.get(key) === undefined || !ctx.db.expires.delete(key)) return ctx.client.int(0);
    ctx.engine.propagate(ctx.db.index, ctx.argv);
    ctx.client.int(1);
  }),
];
