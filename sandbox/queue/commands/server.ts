// Server and transaction commands: INFO (clients need redis_version and loading:0, notes
// §5.2), CONFIG GET (redis-benchmark asks for save/appendonly), COMMAND (an empty table is
// acceptable to redis-cli), BGREWRITEAOF, TIME, MULTI/EXEC/DISCARD.
import * as os from 'node:os';
import type { OutputBufferLimit, QueueConfig } from '../../config';
import { REDIS_VERSION } from '../version';
import { globMatch } from '../glob';
import type { CommandContext, CommandSpec } from './types';
import { cmd } from './types';

function infoText(ctx: CommandContext, sections: string[]): string {
  const e = ctx.engine;
  const want = (s: string) => sections.length === 0 || sections.includes('all') || sections.includes('everything') || sections.includes('default') || sections.includes(s);
  const parts: string[] = [];
  const addr = e.config.host;
  if (want('server')) {
    parts.push(
      '# Server\r\n' +
        `redis_version:${REDIS_VERSION}\r\nredis_mode:standalone\r\nos:${os.type()} ${os.release()} ${os.arch()}\r\narch_bits:64\r\n` +
        `process_id:${process.pid}\r\ntcp_port:${e.config.queue.port}\r\nbind:${addr}\r\n` +
        `uptime_in_seconds:${Math.floor((Date.now() - e.startedAt) / 1000)}\r\nexecutable:xmpp-sandbox-queue\r\n`,
    );
  }
  if (want('clients')) {
    // client_recent_max_output_buffer: the biggest output buffer among the connected clients
    // (redis.io INFO), measured as the output limits measure it (Engine.outputBytes).
    let maxOut = 0;
    let pubsubClients = 0;
    for (const c of e.clients) {
      maxOut = Math.max(maxOut, e.outputBytes(c));
      if (c.subscriptionCount > 0) pubsubClients++;
    }
    parts.push(
      `# Clients\r\nconnected_clients:${e.clients.size}\r\nclient_recent_max_output_buffer:${maxOut}\r\nblocked_clients:${e.blocking.blockedCount}\r\npubsub_clients:${pubsubClients}\r\n`,
    );
  }
  if (want('memory')) {
    const m = process.memoryUsage();
    parts.push(`# Memory\r\nused_memory:${m.heapUsed}\r\nused_memory_rss:${m.rss}\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n`);
  }
  if (want('persistence')) {
    const aof = e.aof;
    parts.push(
      `# Persistence\r\nloading:0\r\naof_enabled:${aof ? 1 : 0}\r\naof_rewrite_in_progress:0\r\n` +
        (aof ? `aof_current_size:${aof.size}\r\naof_base_size:${aof.baseSize}\r\naof_last_write_status:ok\r\n` : ''),
    );
  }
  if (want('stats')) {
    // client_output_buffer_limit_disconnections: Redis 7.2's name for the same counter.
    parts.push(
      `# Stats\r\ntotal_commands_processed:${e.commandsProcessed}\r\npubsub_channels:${e.pubsub.channels.size}\r\npubsub_patterns:${e.pubsub.patterns.size}\r\n` +
        `client_output_buffer_limit_disconnections:${e.outputLimitDisconnections}\r\n`,
    );
  }
  if (want('replication')) parts.push('# Replication\r\nrole:master\r\nconnected_slaves:0\r\n');
  if (want('keyspace')) {
    let ks = '# Keyspace\r\n';
    for (const db of e.dbs) {
      const n = db.size;
      if (n > 0) ks += `db${db.index}:keys=${n},expires=${db.expires.size},avg_ttl=0\r\n`;
    }
    parts.push(ks);
  }
  return parts.join('\r\n');
}

function configValues(ctx: CommandContext): [string, string][] {
  const q = ctx.engine.config.queue;
  return [
    ['save', ''],
    ['appendonly', ctx.engine.aof ? 'yes' : 'no'],
    ['appendfsync', q.appendfsync],
    ['databases', String(ctx.engine.dbs.length)],
    ['port', String(q.port)],
    ['bind', ctx.engine.config.host],
    ['requirepass', q.requirepass],
    ['timeout', '0'],
    ['maxmemory', '0'],
    ['proto-max-bulk-len', String(ctx.engine.limits.maxBulkLen)],
    ['client-query-buffer-limit', String(ctx.engine.limits.maxQueryBuffer)],
    ['client-output-buffer-limit', outputBufferLimitText(q.clientOutputBufferLimit)],
  ];
}

/**
 * CONFIG GET client-output-buffer-limit as Redis 7 answers it: `<class> <hard> <soft> <seconds>`
 * for normal, slave and pubsub, in bytes. There are no replicas here: slave shows Redis's default.
 */
function outputBufferLimitText(l: QueueConfig['clientOutputBufferLimit']): string {
  const one = (name: string, c: OutputBufferLimit) => `${name} ${c.hard} ${c.soft} ${c.softSeconds}`;
  return [one('normal', l.normal), one('slave', { hard: 268435456, soft: 67108864, softSeconds: 60 }), one('pubsub', l.pubsub)].join(' ');
}

export const serverCommands: CommandSpec[] = [
  cmd('info', -1, ['loading'], (ctx) => {
    const text = infoText(ctx, ctx.argv.slice(1).map((s) => s.toLowerCase()));
    // RESP3: a verbatim string (`=`, format txt), as Redis 7 replies.
    if (ctx.client.proto === 3) ctx.client.out += `=${text.length + 4}\r\ntxt:${text}\r\n`;
    else ctx.client.bulk(text);
  }),
  {
    name: 'config',
    arity: -2,
    flags: [],
    subcommands: [
      cmd('get', -3, ['admin', 'loading'], (ctx) => {
        const pats = ctx.argv.slice(2).map((p) => p.toLowerCase());
        const hits = configValues(ctx).filter(([k]) => pats.some((p) => globMatch(p, k)));
        ctx.client.mapLen(hits.length);
        for (const [k, v] of hits) {
          ctx.client.bulk(k);
          ctx.client.bulk(v);
        }
      }),
      cmd('resetstat', 2, ['admin'], (ctx) => {
        ctx.engine.commandsProcessed = 0;
        ctx.engine.outputLimitDisconnections = 0;
        ctx.client.simple('OK');
      }),
    ],
  },
  {
    name: 'command',
    arity: -1,
    flags: ['loading'],
    handler: (ctx) => ctx.client.arrayLen(0),
    subcommands: [
      cmd('docs', -2, ['loading'], (ctx) => ctx.client.mapLen(0)),
      cmd('count', 2, ['loading'], (ctx) => ctx.client.int(ctx.engine.table.size)),
      cmd('list', -2, ['loading'], (ctx) => ctx.client.bulkArray([...ctx.engine.table.keys()])),
      cmd('info', -2, ['loading'], (ctx) => {
        ctx.client.arrayLen(ctx.argv.length - 2);
        for (let i = 2; i < ctx.argv.length; i++) ctx.client.nullArray();
      }),
    ],
  },
  cmd('bgrewriteaof', 1, ['admin'], (ctx) => {
    const aof = ctx.engine.aof;
    if (!aof) return ctx.client.error('ERR append only file is disabled');
    aof.scheduleRewrite();
    ctx.client.simple('Background append only file rewriting started');
  }),
  cmd('time', 1, ['fast'], (ctx) => {
    const us = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
    ctx.client.bulkArray([String(us / 1000000n), String(us % 1000000n)]);
  }),
  cmd('multi', 1, ['fast'], (ctx) => {
    if (ctx.client.multi !== null) return ctx.client.error('ERR MULTI calls can not be nested');
    ctx.client.multi = [];
    ctx.client.multiFailed = false;
    ctx.client.simple('OK');
  }),
  cmd('discard', 1, ['fast'], (ctx) => {
    if (ctx.client.multi === null) return ctx.client.error('ERR DISCARD without MULTI');
    ctx.client.multi = null;
    ctx.client.multiFailed = false;
    ctx.client.simple('OK');
  }),
  cmd('exec', 1, [], (ctx) => {
    const c = ctx.client;
    if (c.multi === null) return c.error('ERR EXEC without MULTI');
    const queued = c.multi;
    const failed = c.multiFailed;
    c.multi = null;
    c.multiFailed = false;
    if (failed) return c.error('EXECABORT Transaction discarded because of previous errors.');
    c.arrayLen(queued.length);
    for (const argv of queued) ctx.engine.execute(c, argv, true);
  }),
];
