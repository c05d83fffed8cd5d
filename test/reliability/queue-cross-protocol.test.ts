// Cross-protocol scripting against the queue (issue 12): a web page can make a browser POST
// to 127.0.0.1:6380; the request line and headers read as inline commands (redis.io "Redis
// security", "Protected mode"), and without a guard the body's `SET …` / `LPUSH xmpp:outbox …`
// lines would run — the bridge would then send the pushed stanza into XMPP. Redis ≥ 3.2.7
// closes the connection on a `POST` or `Host:` command and runs nothing more from it. Each
// case runs against the embedded queue and a real redis-server: same input, same outcome
// (bytes received, closed, keys left behind, checked from a second clean connection).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { RawClient, startEmbedded, startRedis, type Embedded, type Target } from '../sandbox/queue/helpers';

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;

const STANZA = "<message to='alice@localhost'><body>pwned</body></message>";

/** What an HTML form or fetch() from http://evil.example sends to the queue's port. */
function httpPost(port: number, body: string): string {
  return (
    'POST / HTTP/1.1\r\n' +
    `Host: 127.0.0.1:${port}\r\n` +
    'Origin: http://evil.example\r\n' +
    'Content-Type: text/plain\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    '\r\n' +
    body
  );
}

const BODY = `SET pwned 1\r\nLPUSH xmpp:outbox "${STANZA}"\r\nSET pwned2 1\r\n`;

interface Outcome {
  /** Bytes the attacking connection received. */
  received: string;
  closed: boolean;
  /** EXISTS for each key, from a second, clean connection. */
  keys: Record<string, number>;
}

const KEYS = ['pwned', 'pwned2', 'xmpp:outbox'];

/** Write `parts` one write each (a short pause between), collect what comes back until close. */
async function attack(t: Target, parts: (port: number) => string[]): Promise<Outcome> {
  const s = net.connect(t.port, t.host);
  await new Promise<void>((r, j) => {
    s.once('connect', () => r());
    s.once('error', j);
  });
  let received = '';
  s.on('data', (d: Buffer) => (received += d.toString('latin1')));
  s.on('error', () => {});
  const closed = new Promise<boolean>((r) => {
    s.once('close', () => r(true));
    setTimeout(() => r(false), 3000);
  });
  for (const p of parts(t.port)) {
    if (s.destroyed) break;
    s.write(Buffer.from(p, 'latin1'));
    await new Promise((r) => setTimeout(r, 50));
  }
  const wasClosed = await closed;
  s.destroy();
  return { received, closed: wasClosed, keys: await existing(t) };
}

async function existing(t: Target): Promise<Record<string, number>> {
  const c = await RawClient.connect(t);
  try {
    const out: Record<string, number> = {};
    for (const k of KEYS) out[k] = Number((await c.call('EXISTS', k)).slice(1));
    return out;
  } finally {
    c.close();
  }
}

const NONE = { pwned: 0, pwned2: 0, 'xmpp:outbox': 0 };

const CASES: { name: string; parts: (port: number) => string[]; expect: Omit<Outcome, 'keys'> }[] = [
  { name: 'a browser-style POST with Host and Origin headers and a body of commands, in one write', parts: (port) => [httpPost(port, BODY)], expect: { received: '', closed: true } },
  {
    name: 'the same request line by line (each header in its own write)',
    parts: (port) => httpPost(port, BODY).split(/(?<=\r\n)/),
    expect: { received: '', closed: true },
  },
  {
    // PUT is no Redis command: its error reply is dropped with the connection at `Host:`.
    name: 'a PUT: the Host: header closes it before the body',
    parts: (port) => [httpPost(port, BODY).replace(/^POST/, 'PUT')],
    expect: { received: '', closed: true },
  },
  {
    // Replies already sent in an earlier read stay sent; nothing after POST runs.
    name: 'POST after a PING that was answered; commands after it in the same write do not run',
    parts: () => ['PING\r\n', 'post /\r\nSET pwned 1\r\n'],
    expect: { received: '+PONG\r\n', closed: true },
  },
  {
    name: 'POST inside MULTI (checked before queueing) and as a RESP array',
    parts: () => ['MULTI\r\n*1\r\n$4\r\nPOST\r\n*3\r\n$3\r\nSET\r\n$5\r\npwned\r\n$1\r\n1\r\nEXEC\r\n'],
    expect: { received: '', closed: true },
  },
];

for (const kind of ['embedded', 'redis'] as const) {
  describe(`queue cross-protocol scripting (${kind})`, { skip: kind === 'redis' && !haveRedis ? 'redis-server missing' : false }, () => {
    let t: Target;
    before(async () => {
      t = kind === 'embedded' ? await startEmbedded() : await startRedis();
    });
    after(async () => {
      await t?.stop();
    });

    for (const c of CASES) {
      it(c.name, async () => {
        const got = await attack(t, c.parts);
        assert.deepEqual(got, { ...c.expect, keys: NONE });
      });
    }

    it('fetch() with method POST and an evil Origin fails: the server hangs up, no command runs', async () => {
      await assert.rejects(
        fetch(`http://127.0.0.1:${t.port}/`, { method: 'POST', headers: { Origin: 'http://evil.example', 'Content-Type': 'text/plain' }, body: BODY }),
        (e: Error) => /fetch failed/.test(e.message),
      );
      assert.deepEqual(await existing(t), NONE);
    });

    it('ordinary clients, inline commands included, are untouched', async () => {
      const c = new Redis({ port: t.port, lazyConnect: true });
      await c.connect();
      try {
        assert.equal(await c.set('host', 'post'), 'OK');
        assert.equal(await c.get('host'), 'post');
        await assert.rejects(c.call('POSTS'), /unknown command 'POSTS'/);
        assert.equal(await c.ping(), 'PONG');
      } finally {
        c.disconnect();
      }
      const raw = await RawClient.connect(t);
      raw.write('SET "host:" x\r\nGET "host:"\r\n');
      assert.equal(await raw.read(), '+OK\r\n');
      assert.equal(await raw.read(), '$1\r\nx\r\n');
      raw.close();
      const cleanup = await RawClient.connect(t);
      await cleanup.call('DEL', 'host', 'host:');
      cleanup.close();
    });

    if (kind === 'embedded') {
      it("logs Redis's warning, naming the peer", async () => {
        const logs = (t as Embedded).logs.filter((l) => l.includes('Possible SECURITY ATTACK detected'));
        assert.ok(logs.length >= 1, 'a warning was logged');
        assert.match(logs[0]!, /^warn .*sending POST or Host: commands to Redis from 127\.0\.0\.1:\d+\..*Connection aborted\./);
      });
    }
  });
}
