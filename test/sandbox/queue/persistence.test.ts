// AOF persistence of the embedded queue: replay on start, truncated tails, rewrite
// (BGREWRITEAOF and automatic), blocking pops logged as non-blocking ones. kill -9 under load
// (appendfsync always and everysec, the CLI in a child process): test/reliability/queue-kill9.test.ts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Redis from 'ioredis';
import { blockedClients, RawClient, startEmbedded, tmpDir, until } from './helpers';

const aofPath = (dir: string) => path.join(dir, 'queue', 'appendonly.aof');

describe('queue persistence (AOF)', () => {
  for (const appendfsync of ['everysec', 'no'] as const) {
    it(`${appendfsync}: a clean stop and restart keeps lists, strings, expiries and other databases`, async () => {
      const dir = tmpDir();
      let q = await startEmbedded({ dataDir: dir, appendfsync });
      const c = new Redis({ port: q.port, lazyConnect: true });
      await c.connect();
      await c.rpush('jobs', 'a', 'b', 'c', 'd');
      await c.lpop('jobs');
      await c.lmove('jobs', 'jobs:processing', 'RIGHT', 'LEFT');
      await c.set('counter', '41');
      await c.incr('counter');
      await c.set('temp', 'x', 'EX', 1000);
      await c.select(3);
      await c.rpush('db3list', 'z');
      await c.select(0);
      await c.rpush('binary', Buffer.from([0, 255, 13, 10, 200]));
      c.disconnect();
      await q.stop();
      q = await startEmbedded({ dataDir: dir, appendfsync });
      const d = new Redis({ port: q.port, lazyConnect: true });
      await d.connect();
      try {
        assert.deepEqual(await d.lrange('jobs', 0, -1), ['b', 'c']);
        assert.deepEqual(await d.lrange('jobs:processing', 0, -1), ['d']);
        assert.equal(await d.get('counter'), '42');
        const ttl = await d.ttl('temp');
        assert.ok(ttl > 990 && ttl <= 1000, `ttl ${ttl}`);
        assert.deepEqual(await d.lrangeBuffer('binary', 0, -1), [Buffer.from([0, 255, 13, 10, 200])]);
        await d.select(3);
        assert.deepEqual(await d.lrange('db3list', 0, -1), ['z']);
      } finally {
        d.disconnect();
        await q.stop();
      }
    });
  }

  it('everysec: writes reach the file within about a second, without a stop', async () => {
    const dir = tmpDir();
    const q = await startEmbedded({ dataDir: dir, appendfsync: 'everysec' });
    const c = await RawClient.connect(q);
    try {
      assert.equal(await c.call('RPUSH', 'soon', 'on-disk'), ':1\r\n');
      await until(() => fs.readFileSync(aofPath(dir), 'latin1').includes('on-disk'), 1500, 'the write in the AOF file');
    } finally {
      c.close();
      await q.stop();
    }
  });

  it('cuts off a truncated tail (a crash mid-write), logs it and keeps the rest', async () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'queue'), { recursive: true });
    fs.writeFileSync(aofPath(dir), '*3\r\n$5\r\nRPUSH\r\n$1\r\nq\r\n$3\r\none\r\n*3\r\n$5\r\nRPUSH\r\n$1\r\nq\r\n$3\r\ntw');
    const q = await startEmbedded({ dataDir: dir });
    const r = await RawClient.connect(q);
    try {
      assert.equal(await r.call('LRANGE', 'q', '0', '-1'), '*1\r\n$3\r\none\r\n');
      assert.ok(q.logs.some((l) => l.startsWith('warn') && /incomplete command/.test(l)), q.logs.join('\n'));
      assert.equal(fs.statSync(aofPath(dir)).size, '*3\r\n$5\r\nRPUSH\r\n$1\r\nq\r\n$3\r\none\r\n'.length);
      assert.equal(await r.call('RPUSH', 'q', 'two'), ':2\r\n');
    } finally {
      r.close();
      await q.stop();
    }
    const again = await startEmbedded({ dataDir: dir });
    const r2 = await RawClient.connect(again);
    assert.equal(await r2.call('LRANGE', 'q', '0', '-1'), '*2\r\n$3\r\none\r\n$3\r\ntwo\r\n');
    r2.close();
    await again.stop();
  });

  it('refuses to start on an AOF corrupted in the middle instead of dropping data', async () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'queue'), { recursive: true });
    fs.writeFileSync(aofPath(dir), '*3\r\n$5\r\nRPUSH\r\n$1\r\nq\r\n$3\r\none\r\n*1\r\n*garbage\r\n*1\r\n$4\r\nPING\r\n');
    await assert.rejects(() => startEmbedded({ dataDir: dir }), /corrupt/);
  });

  it('BGREWRITEAOF compacts the log; blocking pops were logged as non-blocking ones', async () => {
    const dir = tmpDir();
    let q = await startEmbedded({ dataDir: dir, appendfsync: 'always' });
    const c = await RawClient.connect(q);
    const b = await RawClient.connect(q);
    for (let i = 0; i < 500; i++) await c.call('RPUSH', 'churn', `v${i}`);
    for (let i = 0; i < 490; i++) await c.call('LPOP', 'churn');
    b.send('BLPOP', 'served', '0');
    await until(async () => (await blockedClients(q, c)) === 1, 5000, 'BLPOP blocked');
    assert.equal(await c.call('RPUSH', 'served', 'once'), ':1\r\n');
    assert.equal(await b.read(), '*2\r\n$6\r\nserved\r\n$4\r\nonce\r\n');
    const aof = fs.readFileSync(aofPath(dir), 'latin1');
    assert.ok(aof.includes('*2\r\n$4\r\nLPOP\r\n$6\r\nserved\r\n'), 'served BLPOP logged as LPOP');
    assert.ok(!aof.includes('BLPOP'));
    const before = fs.statSync(aofPath(dir)).size;
    assert.equal(await c.call('BGREWRITEAOF'), '+Background append only file rewriting started\r\n');
    await until(() => fs.statSync(aofPath(dir)).size < before / 5, 5000, 'rewritten AOF');
    assert.equal(await c.call('RPUSH', 'churn', 'after'), ':11\r\n');
    c.close();
    b.close();
    await q.stop();
    q = await startEmbedded({ dataDir: dir });
    const d = await RawClient.connect(q);
    assert.equal(await d.call('LLEN', 'churn'), ':11\r\n');
    assert.equal(await d.call('LINDEX', 'churn', '0'), '$4\r\nv490\r\n');
    assert.equal(await d.call('EXISTS', 'served'), ':0\r\n');
    d.close();
    await q.stop();
  });

  it('rewrites automatically when the log grows much larger than the data', async () => {
    const dir = tmpDir();
    const q = await startEmbedded({ dataDir: dir, aofRewriteMinBytes: 20_000 });
    const c = await RawClient.connect(q);
    for (let i = 0; i < 1000; i++) {
      await c.call('RPUSH', 'q', 'x'.repeat(20));
      await c.call('LPOP', 'q');
    }
    await until(() => q.logs.some((l) => /AOF rewritten/.test(l)), 5000, 'an automatic rewrite');
    assert.ok(fs.statSync(aofPath(dir)).size < 40_000);
    c.close();
    await q.stop();
  });

  it('the same server object can be stopped and started again (sandbox restart) without duplicating data', async () => {
    const q = await startEmbedded();
    q.server.push('again', ['a', 'b'], 'right');
    await q.server.stop();
    const { port } = await q.server.start();
    const r = await RawClient.connect({ host: '127.0.0.1', port });
    assert.equal(await r.call('LRANGE', 'again', '0', '-1'), '*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    r.close();
    await q.server.stop();
  });

  it('control API reset() empties the data and the log', async () => {
    const dir = tmpDir();
    let q = await startEmbedded({ dataDir: dir });
    q.server.push('a', ['1', '2']);
    await q.server.reset();
    assert.deepEqual(q.server.keys(), []);
    await q.stop();
    assert.equal(fs.statSync(aofPath(dir)).size, 0);
    q = await startEmbedded({ dataDir: dir });
    assert.deepEqual(q.server.keys(), []);
    await q.stop();
  });
});
