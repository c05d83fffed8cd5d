// Connection commands (redis.io "Connection management"): PING, ECHO, QUIT, AUTH, HELLO,
// SELECT, CLIENT …, RESET. Handshakes of ioredis 5/6, node-redis 4/6 and redis-cli are
// described in docs/interop.md §5.2.
import { REDIS_VERSION } from '../version';
import type { Client } from '../client';
import type { CommandContext, CommandSpec } from './types';
import { cmd, E, toInt } from './types';

/** AUTH / HELLO AUTH. With no requirepass any password is accepted (sandbox choice, notes §5.2). */
function checkAuth(ctx: CommandContext, user: string, pass: string): boolean {
  const required = ctx.engine.requirepass;
  if (required === '' || (user === 'default' && pass === required)) {
    ctx.client.authenticated = true;
    return true;
  }
  ctx.client.error(E.WRONGPASS);
  return false;
}

/** Redis clientSetName: printable ASCII without spaces. */
function validName(name: string): boolean {
  return /^[!-~]*$/.test(name);
}

const ping = cmd('ping', -1, ['fast', 'subscribed'], (ctx) => {
  const { client: c, argv } = ctx;
  if (argv.length > 2) return c.error(`ERR wrong number of arguments for 'ping' command`);
  if (c.inSubscribedMode) {
    // RESP2 subscribed mode: PING answers as a pub/sub message (redis.io PING).
    c.arrayLen(2);
    c.bulk('pong');
    c.bulk(argv.length === 2 ? argv[1]! : '');
    return;
  }
  if (argv.length === 2) c.bulk(argv[1]!);
  else c.simple('PONG');
});

const echo = cmd('echo', 2, ['fast'], (ctx) => ctx.client.bulk(ctx.argv[1]!));

const quit = cmd('quit', -1, ['noauth', 'subscribed', 'fast'], (ctx) => {
  ctx.client.simple('OK');
  ctx.client.closing = true;
});

const auth = cmd('auth', -2, ['noauth', 'fast'], (ctx) => {
  const { argv, client: c } = ctx;
  if (argv.length > 3) return c.error(E.SYNTAX);
  if (checkAuth(ctx, argv.length === 3 ? argv[1]! : 'default', argv[argv.length - 1]!)) c.simple('OK');
});

const hello = cmd('hello', -1, ['noauth', 'fast'], (ctx) => {
  const { argv, client: c } = ctx;
  let ver = 0;
  if (argv.length >= 2) {
    ver = toInt(argv[1]!);
    if (Number.isNaN(ver)) return c.error('ERR Protocol version is not an integer or out of range');
    if (ver < 2 || ver > 3) return c.error('NOPROTO unsupported protocol version');
  }
  let user: string | null = null;
  let pass = '';
  let name: string | null = null;
  for (let j = 2; j < argv.length; j++) {
    const opt = argv[j]!.toLowerCase();
    const more = argv.length - 1 - j;
    if (opt === 'auth' && more >= 2) {
      user = argv[j + 1]!;
      pass = argv[j + 2]!;
      j += 2;
    } else if (opt === 'setname' && more >= 1) {
      name = argv[j + 1]!;
      j++;
    } else return c.error(`ERR Syntax error in HELLO option '${argv[j]}'`);
  }
  if (user !== null && !checkAuth(ctx, user, pass)) return;
  if (!c.authenticated) {
    return c.error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  if (name !== null) {
    if (!validName(name)) return c.error('ERR Client names cannot contain spaces, newlines or special characters.');
    c.name = name;
  }
  if (ver) c.proto = ver as 2 | 3;
  c.mapLen(7);
  c.bulk('server');
  c.bulk('redis');
  c.bulk('version');
  c.bulk(REDIS_VERSION);
  c.bulk('proto');
  c.int(c.proto);
  c.bulk('id');
  c.int(c.id);
  c.bulk('mode');
  c.bulk('standalone');
  c.bulk('role');
  c.bulk('master');
  c.bulk('modules');
  c.arrayLen(0);
});

const select = cmd('select', 2, ['loading', 'fast'], (ctx) => {
  const n = toInt(ctx.argv[1]!);
  if (Number.isNaN(n)) return ctx.client.error(E.NOT_INT);
  if (n < 0 || n >= ctx.engine.dbs.length) return ctx.client.error('ERR DB index is out of range');
  ctx.client.db = n;
  ctx.client.simple('OK');
});

const reset = cmd('reset', 1, ['noauth', 'subscribed', 'fast'], (ctx) => {
  const c = ctx.client;
  ctx.engine.pubsub.dropClient(c);
  c.multi = null;
  c.multiFailed = false;
  c.db = 0;
  c.proto = 2;
  c.name = '';
  c.authenticated = ctx.engine.requirepass === '';
  c.simple('RESET');
});

function clientInfoLine(c: Client, omem: number): string {
  const age = Math.floor((Date.now() - c.createdAt) / 1000);
  const flags = c.blocked ? 'b' : c.subscriptionCount > 0 ? 'P' : c.multi ? 'x' : 'N';
  return `id=${c.id} addr=${c.addr} laddr=${c.socket?.localAddress}:${c.socket?.localPort} fd=0 name=${c.name} age=${age} idle=0 flags=${flags} db=${c.db} sub=${c.channels.size} psub=${c.patterns.size} ssub=0 multi=${c.multi ? c.multi.length : -1} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=${omem} tot-mem=${omem} events=r cmd=client|info user=default redir=-1 resp=${c.proto} lib-name=${c.libName} lib-ver=${c.libVer}\n`;
}

const client: CommandSpec = {
  name: 'client',
  arity: -2,
  flags: [],
  subcommands: [
    cmd('setname', 3, ['fast'], (ctx) => {
      const name = ctx.argv[2]!;
      if (!validName(name)) return ctx.client.error('ERR Client names cannot contain spaces, newlines or special characters.');
      ctx.client.name = name;
      ctx.client.simple('OK');
    }),
    cmd('getname', 2, ['fast'], (ctx) => ctx.client.bulkOrNull(ctx.client.name || null)),
    cmd('id', 2, ['fast'], (ctx) => ctx.client.int(ctx.client.id)),
    cmd('setinfo', 4, ['fast'], (ctx) => {
      const attr = ctx.argv[2]!.toLowerCase();
      const val = ctx.argv[3]!;
      if (attr !== 'lib-name' && attr !== 'lib-ver') return ctx.client.error(`ERR Unrecognized option '${ctx.argv[2]}'`);
      if (!validName(val)) return ctx.client.error(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
      if (attr === 'lib-name') ctx.client.libName = val;
      else ctx.client.libVer = val;
      ctx.client.simple('OK');
    }),
    cmd('info', 2, [], (ctx) => ctx.client.bulk(clientInfoLine(ctx.client, ctx.engine.outputBytes(ctx.client)))),
    cmd('list', -2, ['admin'], (ctx) => {
      let s = '';
      // omem: reply bytes not yet read by the client (Engine.outputBytes, what the output limits count).
      for (const c of ctx.engine.clients) s += clientInfoLine(c, ctx.engine.outputBytes(c));
      ctx.client.bulk(s);
    }),
  ],
};

export const connectionCommands: CommandSpec[] = [ping, echo, quit, auth, hello, select, reset, client];
