// The shared queue suite, real-client half: ioredis 5 and 6, node-redis 4 and 6 (RESP3)
// and redis-cli, each against the target with requirepass (their AUTH/HELLO handshakes),
// covering lists, errors, blocking fairness and pub/sub (RESP3 push frames for HELLO 3
// clients). Run against the embedded queue and a real redis-server.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import IORedis5 from 'ioredis';
import IORedis6 from 'ioredis6';
import { createClient as createClient6 } from 'redis';
import { createClient as createClient4 } from 'redis4';
import { createClient as createClient5 } from 'redis5';
import { blockedClients, until, type Target, type TargetOptions } from './helpers';

type Start = (o?: TargetOptions) => Promise<Target>;

/** The few operations the suite needs, on top of each library's own API. */
interface Conn {
  call(...argv: string[]): Promise<unknown>;
  blpop(key: string, timeout: number): Promise<[string, string] | null>;
  subscribe(channel: string, onMessage: (channel: string, message: string) => void): Promise<void>;
  psubscribe(pattern: string, onMessage: (pattern: string, channel: string, message: string) => void): Promise<void>;
  close(): Promise<void>;
}

interface Lib {
  name: string;
  connect(t: Target): Promise<Conn>;
}

function ioredisLib(name: string, Ctor: typeof IORedis5 | typeof IORedis6): Lib {
  return {
    name,
    async connect(t) {
      const r = new (Ctor as typeof IORedis5)({ host: t.host, port: t.port, password: t.password || undefined, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
      r.on('error', () => {});
      await r.connect();
      return {
        call: (...argv) => r.call(argv[0]!, ...argv.slice(1)),
        blpop: async (k, timeout) => (await r.blpop(k, timeout)) as [string, string] | null,
        async subscribe(ch, on) {
          r.on('message', (c: string, m: string) => on(c, m));
          await r.subscribe(ch);
        },
        async psubscribe(p, on) {
          r.on('pmessage', (pp: string, c: string, m: string) => on(pp, c, m));
          await r.psubscribe(p);
        },
        async close() {
          r.disconnect();
        },
      };
    },
  };
}

function nodeRedisLib(name: string, create: typeof createClient4 | typeof createClient5 | typeof createClient6, resp3: boolean): Lib {
  return {
    name,
    async connect(t) {
      const opts = { socket: { host: t.host, port: t.port, reconnectStrategy: false as const }, password: t.password || undefined, ...(resp3 ? { RESP: 3 } : {}) };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const c: any = (create as any)(opts);
      c.on('error', () => {});
      await c.connect();
      return {
        call: (...argv) => c.sendCommand(argv),
        async blpop(k, timeout) {
          const r = await c.blPop(k, timeout);
          return r ? [r.key, r.element] : null;
        },
        subscribe: async (ch, on) => {
          await c.subscribe(ch, (m: string, channel: string) => on(channel, m));
        },
        psubscribe: async (p, on) => {
          await c.pSubscribe(p, (m: string, channel: string) => on(p, channel, m));
        },
        async close() {
          if (typeof c.destroy === 'function') c.destroy();
          else await c.disconnect();
        },
      };
    },
  };
}

const LIBS: Lib[] = [
  ioredisLib('ioredis 5', IORedis5),
  ioredisLib('ioredis 6 (RESP3)', IORedis6),
  nodeRedisLib('node-redis 4', createClient4, false),
  // node-redis 5 defaults to RESP2 (HELLO only with RESP: 3): both ways.
  nodeRedisLib('node-redis 5', createClient5, false),
  nodeRedisLib('node-redis 5 (RESP3)', createClient5, true),
  nodeRedisLib('node-redis 6 (RESP3)', createClient6, true),
];

export function clientsSuite(label: string, start: Start): void {
  describe(`${label}: real clients`, () => {
    let t: Target;
    const open: Conn[] = [];
    before(async () => {
      t = await start({ requirepass: 'pw' });
    });
    after(async () => {
      for (const c of open) await c.close().catch(() => {});
      await t.stop();
    });

    for (const lib of LIBS) {
      describe(lib.name, () => {
        const connect = async () => {
          const c = await lib.connect(t);
          open.push(c);
          return c;
        };
        const k = (s: string) => `${lib.name}:${s}`;

        it('authenticates and runs list, key and string commands', async () => {
          const c = await connect();
          assert.equal(await c.call('PING'), 'PONG');
          assert.equal(await c.call('RPUSH', k('q'), 'a', 'b', 'c'), 3);
          assert.deepEqual(await c.call('LRANGE', k('q'), '0', '-1'), ['a', 'b', 'c']);
          assert.equal(await c.call('LPOP', k('q')), 'a');
          assert.deepEqual(await c.call('RPOP', k('q'), '5'), ['c', 'b']);
          assert.equal(await c.call('LPOP', k('q')), null);
          assert.equal(await c.call('LMOVE', k('none'), k('d'), 'LEFT', 'RIGHT'), null);
          assert.equal(await c.call('SET', k('s'), 'v', 'EX', '100'), 'OK');
          assert.equal(await c.call('INCR', k('n')), 1);
          assert.equal(await c.call('EXISTS', k('s'), k('n')), 2);
          await assert.rejects(() => c.call('LPUSH', k('s'), 'x'), /WRONGTYPE Operation against a key holding the wrong kind of value/);
          await assert.rejects(() => c.call('NOSUCHCMD'), /unknown command 'NOSUCHCMD'/);
          assert.equal(await c.call('BLPOP', k('empty'), '0.05'), null);
        });

        it('serves three blocked clients in the order they blocked', async () => {
          const producer = await connect();
          const before = await blockedClients(t);
          const results: Promise<[string, string] | null>[] = [];
          for (let i = 0; i < 3; i++) {
            const w = await connect();
            results.push(w.blpop(k('fair'), 0));
            await until(async () => (await blockedClients(t)) === before + i + 1, 5000, `worker ${i} blocked`);
          }
          assert.equal(await producer.call('RPUSH', k('fair'), '1', '2', '3'), 3);
          assert.deepEqual(await Promise.all(results), [
            [k('fair'), '1'],
            [k('fair'), '2'],
            [k('fair'), '3'],
          ]);
        });

        it('receives pub/sub messages on channels and patterns', async () => {
          const sub = await connect();
          const got: string[] = [];
          await sub.subscribe(k('news'), (ch, m) => got.push(`message ${ch} ${m}`));
          await sub.psubscribe(k('n*'), (p, ch, m) => got.push(`pmessage ${p} ${ch} ${m}`));
          const pub = await connect();
          assert.equal(await pub.call('PUBLISH', k('news'), 'hello'), 2);
          await until(() => got.length === 2, 5000, 'messages');
          assert.deepEqual(got.sort(), [`message ${k('news')} hello`, `pmessage ${k('n*')} ${k('news')} hello`]);
        });
      });
    }

    describe('redis-cli', () => {
      // Asynchronous: the embedded queue runs in this process and must keep answering.
      const run = (args: string[], input?: string) =>
        new Promise<{ out: string; err: string; status: number | null }>((resolve) => {
          const p = spawn('redis-cli', args, { stdio: ['pipe', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          p.stdout.on('data', (d) => (out += d));
          p.stderr.on('data', (d) => (err += d));
          const timer = setTimeout(() => p.kill(), 10_000);
          p.on('close', (status) => {
            clearTimeout(timer);
            resolve({ out, err, status });
          });
          // redis-cli with a command on its command line never reads stdin and may exit before
          // the write lands: EPIPE then is expected, not a failure.
          p.stdin.on('error', () => undefined);
          p.stdin.end(input ?? '');
        });
      const cli = (args: string[], input?: string) => run(['-h', t.host, '-p', String(t.port), '--no-auth-warning', '-a', t.password, ...args], input);
      const have = spawnSync('redis-cli', ['--version']).status === 0;

      it('runs commands given on the command line (RESP2 and -3)', { skip: !have && 'redis-cli missing' }, async () => {
        assert.equal((await cli(['RPUSH', 'cli:q', 'a', 'b'])).out, '2\n');
        assert.equal((await cli(['LRANGE', 'cli:q', '0', '-1'])).out, 'a\nb\n');
        assert.equal((await cli(['-3', 'LPOP', 'cli:q'])).out, 'a\n');
        assert.match((await cli(['-3', 'HELLO', '3'])).out, /^server\s+redis\s+version\s+[\d.]+\s+proto\s+3\s/);
        assert.match((await cli(['LPUSH', 'cli:q'])).out, /ERR wrong number of arguments for 'lpush' command/);
        const noauth = await run(['-h', t.host, '-p', String(t.port), 'GET', 'x']);
        assert.match(noauth.out, /NOAUTH Authentication required/);
      });

      /** A long-running redis-cli (BLPOP, SUBSCRIBE): its output so far, and a way to stop it. */
      const background = (args: string[]) => {
        const p = spawn('redis-cli', ['-h', t.host, '-p', String(t.port), '--no-auth-warning', '-a', t.password, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        const state = { out: '', done: false, stop: () => p.kill() };
        p.stdout.on('data', (d) => (state.out += d));
        p.on('close', () => (state.done = true));
        return state;
      };

      it('serves three blocked redis-cli BLPOPs in order', { skip: !have && 'redis-cli missing' }, async () => {
        const base = await blockedClients(t);
        const procs: ReturnType<typeof background>[] = [];
        for (let i = 0; i < 3; i++) {
          procs.push(background(['BLPOP', 'cli:fair', '0']));
          await until(async () => (await blockedClients(t)) === base + i + 1, 5000, `redis-cli ${i} blocked`);
        }
        assert.equal((await cli(['RPUSH', 'cli:fair', 'one', 'two', 'three'])).out, '3\n');
        await until(() => procs.every((p) => p.done), 5000, 'all served');
        assert.deepEqual(procs.map((p) => p.out), ['cli:fair\none\n', 'cli:fair\ntwo\n', 'cli:fair\nthree\n']);
      });

      it('SUBSCRIBE (RESP2) and PSUBSCRIBE (-3, push frames) receive PUBLISHed messages', { skip: !have && 'redis-cli missing' }, async () => {
        const sub = background(['SUBSCRIBE', 'cli:ch']);
        const psub = background(['-3', 'PSUBSCRIBE', 'cli:*']);
        try {
          await until(() => sub.out.includes('subscribe') && psub.out.includes('psubscribe'), 5000, 'subscribed');
          assert.equal((await cli(['PUBLISH', 'cli:ch', 'hello'])).out, '2\n');
          await until(() => sub.out.includes('hello') && psub.out.includes('hello'), 5000, 'messages');
          assert.equal(sub.out, 'subscribe\ncli:ch\n1\nmessage\ncli:ch\nhello\n');
          assert.equal(psub.out, 'psubscribe\ncli:*\n1\npmessage\ncli:*\ncli:ch\nhello\n');
        } finally {
          sub.stop();
          psub.stop();
        }
      });

      it('pipe mode (--pipe) transfers a batch of commands', { skip: !have && 'redis-cli missing' }, async () => {
        let input = '';
        for (let i = 0; i < 500; i++) input += `*3\r\n$5\r\nRPUSH\r\n$8\r\ncli:pipe\r\n$${String(i).length}\r\n${i}\r\n`;
        const r = await cli(['--pipe'], input);
        assert.equal(r.status, 0, r.err);
        assert.match(r.out, /errors: 0, replies: 500/);
        assert.equal((await cli(['LLEN', 'cli:pipe'])).out, '500\n');
      });
    });
  });
}
