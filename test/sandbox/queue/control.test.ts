// The embedded queue's own surface: the control API (keys/peek/push/purge), 'keys-changed',
// QueueEvents on the trace bus, sandbox choices (AUTH without requirepass), the query buffer
// limit, and EADDRINUSE reporting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { createClient } from 'redis';
import type { QueueEvent } from '../../../sandbox/trace/events';
import { blockedClients, RawClient, startEmbedded, until, type Embedded } from './helpers';

describe('embedded queue: control API and trace', () => {
  let q: Embedded;
  const raws: RawClient[] = [];
  const raw = async () => {
    const r = await RawClient.connect(q);
    raws.push(r);
    return r;
  };
  before(async () => {
    q = await startEmbedded({ trace: true });
  });
  after(async () => {
    for (const r of raws) r.close();
    await q.stop();
  });

  it('keys/peek/push/purge see what clients see, in UTF-8', async () => {
    const c = await raw();
    await c.call('RPUSH', 'jobs', 'a', 'ü');
    await c.call('SET', 'name', 'zoë');
    assert.deepEqual(q.server.keys(), [
      { key: 'jobs', type: 'list', length: 2 },
      { key: 'name', type: 'string', length: 4 },
    ]);
    assert.deepEqual(q.server.keys('j*'), [{ key: 'jobs', type: 'list', length: 2 }]);
    assert.deepEqual(q.server.peek('jobs'), ['a', 'ü']);
    assert.deepEqual(q.server.peek('jobs', -1), ['ü']);
    assert.deepEqual(q.server.peek('none'), []);
    assert.equal(q.server.push('jobs', ['b', 'c'], 'right'), 4);
    assert.equal(await c.call('LRANGE', 'jobs', '2', '-1'), '*2\r\n$1\r\nb\r\n$1\r\nc\r\n');
    assert.equal(q.server.purge('jobs'), true);
    assert.equal(q.server.purge('jobs'), false);
    assert.equal(await c.call('EXISTS', 'jobs'), ':0\r\n');
    assert.throws(() => q.server.push('name', ['x']), /WRONGTYPE/);
  });

  it('push() wakes a blocked client like LPUSH does', async () => {
    const b = await raw();
    b.send('BLPOP', 'wake', '0');
    await until(async () => (await blockedClients(q)) === 1, 5000, 'blocked');
    q.server.push('wake', ['hello']);
    assert.equal(await b.read(), '*2\r\n$4\r\nwake\r\n$5\r\nhello\r\n');
  });

  it("emits a debounced 'keys-changed'", async () => {
    let n = 0;
    const on = () => n++;
    q.server.events.on('keys-changed', on);
    const c = await raw();
    for (let i = 0; i < 50; i++) c.send('RPUSH', 'burst', String(i));
    await until(() => n > 0, 2000, 'keys-changed');
    await new Promise((r) => setTimeout(r, 250));
    q.server.events.off('keys-changed', on);
    assert.ok(n >= 1 && n <= 3, `${n} events for a burst of 50 writes`);
  });

  it('emits QueueEvents (push, pop, move, remove) when tracing is on, none when off', async () => {
    const c = await raw();
    const seq = q.trace.lastSeq;
    await c.call('LPUSH', 'tq', 'a', 'b');
    await c.call('RPOP', 'tq');
    await c.call('LMOVE', 'tq', 'tq2', 'LEFT', 'LEFT');
    await c.call('LREM', 'tq2', '0', 'b');
    const events = q.trace.snapshot(seq).filter((e): e is QueueEvent => e.type === 'queue');
    assert.deepEqual(
      events.map((e) => [e.op, e.key, e.length, e.dest]),
      [
        ['push', 'tq', 2, undefined],
        ['pop', 'tq', 1, undefined],
        ['move', 'tq', 0, 'tq2'],
        ['remove', 'tq2', 0, undefined],
      ],
    );
    q.trace.enabled = false;
    const seq2 = q.trace.lastSeq;
    await c.call('LPUSH', 'tq', 'x');
    assert.equal(q.trace.lastSeq, seq2);
    q.trace.enabled = true;
  });

  it('accepts any AUTH when no requirepass is set (node-redis would otherwise fail to connect)', async () => {
    const c = await raw();
    assert.equal(await c.call('AUTH', 'whatever'), '+OK\r\n');
    const nr = createClient({ socket: { port: q.port, host: '127.0.0.1' }, password: 'anything' });
    nr.on('error', () => {});
    await nr.connect();
    assert.equal(await nr.ping(), 'PONG');
    nr.destroy();
  });
});

describe('embedded queue: limits and listen errors', () => {
  it('closes a client whose query buffer exceeds the limit; others keep working', async () => {
    const q = await startEmbedded({ limits: { maxQueryBuffer: 1024 * 1024, maxBulkLen: 4 * 1024 * 1024 } });
    try {
      const bad = await RawClient.connect(q);
      const good = await RawClient.connect(q);
      await good.call('RPUSH', 'safe', 'x');
      bad.write('*3\r\n$5\r\nRPUSH\r\n$1\r\nq\r\n$3000000\r\n');
      for (let i = 0; i < 20; i++) bad.write(Buffer.alloc(64 * 1024, 0x61));
      assert.equal(await bad.read(), '-ERR Protocol error: query buffer limit exceeded\r\n');
      assert.equal(await bad.waitClosed(), true);
      const inline = await RawClient.connect(q);
      inline.write(Buffer.alloc(100 * 1024, 0x61));
      assert.equal(await inline.read(), '-ERR Protocol error: too big inline request\r\n');
      assert.equal(await good.call('LRANGE', 'safe', '0', '-1'), '*1\r\n$1\r\nx\r\n');
      assert.ok(q.logs.some((l) => /query buffer limit exceeded; closing/.test(l)));
      // A large but allowed value still goes through in pieces.
      const big = 'v'.repeat(900 * 1024);
      const r = new Redis({ port: q.port, lazyConnect: true });
      await r.connect();
      assert.equal(await r.rpush('bigq', big), 1);
      assert.equal((await r.lpop('bigq'))!.length, big.length);
      r.disconnect();
      good.close();
    } finally {
      await q.stop();
    }
  });

  it("reports a taken port as an Error with code 'EADDRINUSE' and the port", async () => {
    const q = await startEmbedded();
    try {
      await assert.rejects(
        () => startEmbedded({ port: q.port }),
        (e: Error & { code?: string; port?: number }) => e.code === 'EADDRINUSE' && e.port === q.port,
      );
    } finally {
      await q.stop();
    }
  });
});
