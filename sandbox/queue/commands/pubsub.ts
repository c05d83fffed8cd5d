// Pub/Sub (redis.io "Redis Pub/Sub"; docs/interop.md §5.4). Confirmations and messages are
// RESP3 push frames (`>`) for HELLO 3 clients and plain arrays in RESP2.
import { globMatch } from '../glob';
import type { Client } from '../client';
import type { CommandContext, CommandSpec } from './types';
import { cmd } from './types';

function confirm(c: Client, kind: string, name: string | null): void {
  c.pushLen(3);
  c.bulk(kind);
  if (name === null) c.nullBulk();
  else c.bulk(name);
  c.int(c.subscriptionCount);
}

function unsubscribeGeneric(ctx: CommandContext, patterns: boolean): void {
  const { argv, client: c, engine } = ctx;
  const kind = patterns ? 'punsubscribe' : 'unsubscribe';
  const set = patterns ? c.patterns : c.channels;
  const names = argv.length > 1 ? argv.slice(1) : [...set];
  if (names.length === 0) return confirm(c, kind, null);
  for (const n of names) {
    if (patterns) engine.pubsub.punsubscribe(c, n);
    else engine.pubsub.unsubscribe(c, n);
    confirm(c, kind, n);
  }
}

const PUBSUB_FLAGS = ['pubsub', 'subscribed', 'fast'] as const;

export const pubsubCommands: CommandSpec[] = [
  cmd('subscribe', -2, PUBSUB_FLAGS, (ctx) => {
    for (const ch of ctx.argv.slice(1)) {
      ctx.engine.pubsub.subscribe(ctx.client, ch);
      confirm(ctx.client, 'subscribe', ch);
    }
  }),
  cmd('psubscribe', -2, PUBSUB_FLAGS, (ctx) => {
    for (const p of ctx.argv.slice(1)) {
      ctx.engine.pubsub.psubscribe(ctx.client, p);
      confirm(ctx.client, 'psubscribe', p);
    }
  }),
  cmd('unsubscribe', -1, PUBSUB_FLAGS, (ctx) => unsubscribeGeneric(ctx, false)),
  cmd('punsubscribe', -1, PUBSUB_FLAGS, (ctx) => unsubscribeGeneric(ctx, true)),
  cmd('publish', 3, ['pubsub', 'fast'], (ctx) => {
    const n = ctx.engine.pubsub.publish(ctx.argv[1]!, ctx.argv[2]!);
    ctx.engine.traceQueue('publish', ctx.argv[1]!, { count: n, client: ctx.client });
    ctx.client.int(n);
  }),
  {
    name: 'pubsub',
    arity: -2,
    flags: [],
    subcommands: [
      cmd('channels', -2, ['pubsub'], (ctx) => {
        const p = ctx.argv[2];
        ctx.client.bulkArray([...ctx.engine.pubsub.channels.keys()].filter((ch) => p === undefined || globMatch(p, ch)));
      }),
      cmd('numsub', -2, ['pubsub'], (ctx) => {
        const names = ctx.argv.slice(2);
        ctx.client.mapLen(names.length);
        for (const n of names) {
          ctx.client.bulk(n);
          ctx.client.int(ctx.engine.pubsub.channels.get(n)?.size ?? 0);
        }
      }),
      cmd('numpat', 2, ['pubsub'], (ctx) => ctx.client.int(ctx.engine.pubsub.patterns.size)),
    ],
  },
];
