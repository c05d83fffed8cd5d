// client-output-buffer-limit (issue 12; redis.io "Redis client handling", "Output buffer
// limits"): a subscriber that stops reading while a publisher floods used to be dropped only
// after 256 MB were queued for it (RSS +402 MB). Now the pubsub class has Redis's defaults
// (32 MB hard, 8 MB soft over 60 s) and the normal class can be limited; a client over a hard
// limit is closed at once, one that stays over the soft limit for the soft seconds is closed
// then, other clients go on. The hard-limit flood runs against a real redis-server too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it, type TestContext } from 'node:test';
import Redis from 'ioredis';
import { resolveConfig } from '../../sandbox/config';
import { RawClient, startEmbedded, startRedis, until, type Embedded, type Target } from '../sandbox/queue/helpers';

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;
const MB = 1024 * 1024;
const PAYLOAD = 'x'.repeat(1024);
/** One pub/sub message to a RESP2 subscriber of channel `flood`: the largest single reply here. */
const MESSAGE_BYTES = `*3\r\n$7\r\nmessage\r\n$5\r\nflood\r\n$${PAYLOAD.length}\r\n${PAYLOAD}\r\n`.length;

/** `omem` of client `id` in CLIENT LIST (reply bytes it has not read), or null when it is gone. */
async function omem(c: RawClient, id: number): Promise<number | null> {
  const list = await c.call('CLIENT', 'LIST');
  const m = new RegExp(`(?:^|\\n)id=${id} [^\\n]* omem=(\\d+)`).exec(list);
  return m ? Number(m[1]) : null;
}

function infoField(info: string, name: string): number {
  const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : NaN;
}

/**
 * A raw RESP2 subscriber of `flood` that stops reading (socket paused). What it reads after a
 * resume is only counted (`received`), not kept.
 */
async function stalledSubscriber(t: Target): Promise<{ sub: RawClient; id: number; received: () => number }> {
  const sub = await RawClient.connect(t);
  const id = Number((await sub.call('CLIENT', 'ID')).slice(1));
  assert.equal(await sub.call('SUBSCRIBE', 'flood'), '*3\r\n$9\r\nsubscribe\r\n$5\r\nflood\r\n:1\r\n');
  sub.socket.pause();
  sub.socket.removeAllListeners('data');
  let bytes = 0;
  sub.socket.on('data', (d: Buffer) => (bytes += d.length));
  return { sub, id, received: () => bytes };
}

interface FloodResult {
  published: number;
  /** Messages published until the stalled subscriber was gone (PUBLISH counted one receiver less). */
  publishedUntilDrop: number | null;
  peakOmem: number;
  msToDrop: number | null;
  rssGrowth: number;
  heapGrowth: number;
}

/**
 * Publish 1 KiB messages in pipelined batches of 200 until PUBLISH reports one receiver less
 * (the stalled one was closed) or `capBytes` were published. Between batches an observer reads
 * the stalled client's omem and runs an ordinary command (other clients keep working).
 */
async function flood(t: Target, stalledId: number, receivers: number, capBytes: number): Promise<FloodResult> {
  const pub = new Redis({ port: t.port, lazyConnect: true });
  await pub.connect();
  const obs = await RawClient.connect(t);
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  let rssPeak = rss0;
  let heapPeak = heap0;
  let peakOmem = 0;
  let published = 0;
  let publishedUntilDrop: number | null = null;
  const t0 = performance.now();
  let msToDrop: number | null = null;
  try {
    while (published * PAYLOAD.length < capBytes) {
      const batch = pub.pipeline();
      for (let i = 0; i < 200; i++) batch.publish('flood', PAYLOAD);
      const res = (await batch.exec())!;
      published += res.length;
      const counts = res.map(([err, n]) => (err ? -1 : (n as number)));
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
      const o = await omem(obs, stalledId);
      if (o !== null) peakOmem = Math.max(peakOmem, o);
      assert.equal(await obs.call('RPUSH', 'work', String(published)), `:${published / 200}\r\n`);
      if (counts.some((n) => n === receivers - 1)) {
        assert.ok(counts.every((n) => n === receivers || n === receivers - 1), `PUBLISH replies ${[...new Set(counts)]}`);
        publishedUntilDrop = published - counts.filter((n) => n === receivers - 1).length;
        msToDrop = performance.now() - t0;
        break;
      }
    }
    return { published, publishedUntilDrop, peakOmem, msToDrop, rssGrowth: rssPeak - rss0, heapGrowth: heapPeak - heap0 };
  } finally {
    pub.disconnect();
    obs.close();
  }
}

/** An ioredis subscriber that reads: it must get every message and stay connected. */
async function readingSubscriber(t: Target): Promise<{ r: Redis; received: () => number }> {
  const r = new Redis({ port: t.port, lazyConnect: true });
  await r.connect();
  let n = 0;
  r.on('message', () => n++);
  await r.subscribe('flood');
  return { r, received: () => n };
}

for (const kind of ['embedded', 'redis'] as const) {
  describe(`queue output buffer limits: a stalled subscriber, default limits (${kind})`, { skip: kind === 'redis' && !haveRedis ? 'redis-server missing' : false }, () => {
    let t: Target;
    before(async () => {
      t = kind === 'embedded' ? await startEmbedded() : await startRedis();
    });
    after(async () => {
      await t?.stop();
    });

    it('CONFIG GET client-output-buffer-limit answers Redis 7 defaults in its format', async () => {
      const c = await RawClient.connect(t);
      const v = 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60';
      assert.equal(await c.call('CONFIG', 'GET', 'client-output-buffer-limit'), `*2\r\n$26\r\nclient-output-buffer-limit\r\n$${v.length}\r\n${v}\r\n`);
      c.close();
    });

    it('is closed at the 32 MB hard limit while the publisher, a reading subscriber and other clients go on', async (tc: TestContext) => {
      const { sub, id } = await stalledSubscriber(t);
      const reader = await readingSubscriber(t);
      try {
        const f = await flood(t, id, 2, 96 * MB);
        tc.diagnostic(
          `${kind}: published ${f.published} × 1 KiB; stalled subscriber dropped after ${f.publishedUntilDrop} messages, ${f.msToDrop?.toFixed(0)} ms; ` +
            `peak omem seen ${f.peakOmem} B; test-process RSS +${(f.rssGrowth / MB).toFixed(0)} MB, heap +${(f.heapGrowth / MB).toFixed(0)} MB`,
        );
        assert.notEqual(f.publishedUntilDrop, null, `the stalled subscriber was still subscribed after ${f.published} messages`);
        // The reading subscriber got everything and is still there.
        await until(() => reader.received() === f.published, 10_000, `the reading subscriber's ${f.published} messages (got ${reader.received()})`);
        const check = await RawClient.connect(t);
        assert.equal(await omem(check, id), null, 'the stalled client is gone from CLIENT LIST');
        assert.equal(await check.call('PUBLISH', 'flood', 'after'), ':1\r\n');
        assert.equal(await check.call('LLEN', 'work'), `:${f.published / 200}\r\n`);
        assert.equal(await check.call('DEL', 'work'), ':1\r\n');
        check.close();
        // What the stalled subscriber got before the close arrives, then the end of the stream.
        sub.socket.resume();
        assert.ok(await sub.waitClosed(10_000), 'the stalled connection is closed');
        if (kind === 'embedded') {
          const e = t as Embedded;
          assert.ok(f.peakOmem <= 32 * MB + MESSAGE_BYTES, `omem peaked at ${f.peakOmem}`);
          const line = e.logs.find((l) => /closed for overcoming of output buffer limits/.test(l));
          assert.ok(line, 'the close is logged');
          assert.match(line, new RegExp(`^warn .*client ${id} .*class pubsub.*reached the hard limit of ${32 * MB} bytes`));
          const queued = Number(/: (\d+) bytes queued/.exec(line)![1]);
          tc.diagnostic(`embedded: buffered for the stalled subscriber at the close: ${queued} B (hard limit ${32 * MB} + one message ${MESSAGE_BYTES})`);
          assert.ok(queued >= 32 * MB && queued <= 32 * MB + MESSAGE_BYTES, `queued ${queued}`);
          // The server (same process here) did not keep hundreds of MB for it (before: RSS +402 MB).
          assert.ok(f.rssGrowth < 200 * MB, `RSS grew ${f.rssGrowth} bytes`);
          const info = await RawClient.connect(t);
          assert.equal(infoField(await info.call('INFO', 'stats'), 'client_output_buffer_limit_disconnections'), 1);
          info.close();
        }
      } finally {
        sub.close();
        reader.r.disconnect();
      }
    });
  });
}

describe('queue output buffer limits: the soft limit over time (embedded)', () => {
  const SOFT = 256 * 1024;
  let q: Embedded;
  before(async () => {
    q = await startEmbedded({ clientOutputBufferLimit: { pubsub: { hard: 0, soft: SOFT, softSeconds: 1 } } });
  });
  after(async () => {
    await q?.stop();
  });

  it('closes the subscriber that stays over it for the soft seconds, not the one that caught up', async (tc: TestContext) => {
    const stays = await stalledSubscriber(q);
    const catchesUp = await stalledSubscriber(q);
    const pub = await RawClient.connect(q);
    const obs = await RawClient.connect(q);
    try {
      // Flood until both hold more than the soft limit (the kernel's socket buffers fill first).
      let floods = 0;
      let ticks = 0;
      for (;;) {
        pub.write(`PUBLISH flood ${PAYLOAD}\r\n`.repeat(200));
        for (let i = 0; i < 200; i++) assert.equal(await pub.read(), ':2\r\n');
        floods += 200;
        if ((await omem(obs, stays.id))! >= SOFT && (await omem(obs, catchesUp.id))! >= SOFT) break;
        assert.ok(floods * PAYLOAD.length < 64 * MB, 'the soft limit was never reached');
      }
      const over = performance.now();
      // Over the soft limit, not over for long: both still connected, INFO shows the backlog.
      assert.ok(infoField(await obs.call('INFO', 'clients'), 'client_recent_max_output_buffer') >= SOFT);
      catchesUp.sub.socket.resume();
      await until(async () => (await omem(obs, catchesUp.id))! < SOFT, 5000, 'the resumed subscriber to catch up');
      // A trickle of messages for well over the window: the stalled one goes, the other stays.
      let gone: number | null = null;
      for (let i = 0; i < 60 && (gone === null || performance.now() - gone < 1500); i++) {
        await new Promise((r) => setTimeout(r, 100));
        const n = Number((await pub.call('PUBLISH', 'flood', 'tick')).slice(1));
        if (gone === null && n === 1) gone = performance.now();
        ticks++;
      }
      assert.notEqual(gone, null, 'the subscriber over the soft limit was never closed');
      tc.diagnostic(`soft limit ${SOFT} B for 1 s: stalled subscriber closed ${(gone! - over).toFixed(0)} ms after it was seen over the limit`);
      assert.equal(await omem(obs, stays.id), null);
      const o = await omem(obs, catchesUp.id);
      assert.ok(o !== null && o < SOFT, `the subscriber that caught up is still connected (omem ${o})`);
      const line = q.logs.find((l) => /closed for overcoming of output buffer limits/.test(l));
      assert.ok(line, 'the close is logged');
      assert.match(line, new RegExp(`client ${stays.id} .*class pubsub.*stayed over the soft limit of ${SOFT} bytes for \\d+ ms \\(limit 1 s\\)`));
      assert.ok(Number(/for (\d+) ms/.exec(line)![1]) > 1000, line);
      assert.equal(q.logs.filter((l) => /overcoming of output buffer limits/.test(l)).length, 1, 'only one client was closed');
      assert.equal(infoField(await obs.call('INFO', 'stats'), 'client_output_buffer_limit_disconnections'), 1);
      // …and got every message, the flood and the trickle.
      const expected = floods * MESSAGE_BYTES + ticks * '*3\r\n$7\r\nmessage\r\n$5\r\nflood\r\n$4\r\ntick\r\n'.length;
      await until(() => catchesUp.received() === expected, 5000, `all messages for the subscriber that caught up (${catchesUp.received()} of ${expected} bytes)`);
    } finally {
      stays.sub.close();
      catchesUp.sub.close();
      pub.close();
      obs.close();
    }
  });
});

describe('queue output buffer limits: the normal class (embedded)', () => {
  /** A client that pipelines LRANGEs of a ~100 KB list without reading the replies. */
  async function pipelineWithoutReading(t: Target, commands: number): Promise<{ c: RawClient; id: number; replyBytes: number }> {
    const setup = await RawClient.connect(t);
    setup.send('RPUSH', 'big', ...Array.from({ length: 100 }, () => PAYLOAD));
    assert.equal(await setup.read(), ':100\r\n');
    const reply = await setup.call('LRANGE', 'big', '0', '-1');
    setup.close();
    const c = await RawClient.connect(t);
    const id = Number((await c.call('CLIENT', 'ID')).slice(1));
    c.socket.pause();
    c.write('LRANGE big 0 -1\r\n'.repeat(commands));
    return { c, id, replyBytes: reply.length };
  }

  it('a configured hard limit closes a client that does not read its replies, at the limit plus one reply', async () => {
    const q = await startEmbedded({ clientOutputBufferLimit: { normal: { hard: MB } } });
    const obs = await RawClient.connect(q);
    try {
      const { c, id, replyBytes } = await pipelineWithoutReading(q, 200);
      await until(async () => (await omem(obs, id)) === null, 5000, 'the client to be closed');
      const line = q.logs.find((l) => /overcoming of output buffer limits/.test(l));
      assert.ok(line, 'the close is logged');
      assert.match(line, new RegExp(`client ${id} .*class normal.*reached the hard limit of ${MB} bytes`));
      const queued = Number(/: (\d+) bytes queued/.exec(line)![1]);
      assert.ok(queued >= MB && queued < MB + replyBytes, `queued ${queued}, reply ${replyBytes}`);
      assert.equal(await obs.call('PING'), '+PONG\r\n');
      c.close();
    } finally {
      obs.close();
      await q.stop();
    }
  });

  it("Redis's default for the normal class is no limit: the replies wait until the client reads them", async () => {
    const q = await startEmbedded();
    const obs = await RawClient.connect(q);
    try {
      assert.match(await obs.call('CONFIG', 'GET', 'client-output-buffer-limit'), /\r\nnormal 0 0 0 /);
      const { c, id, replyBytes } = await pipelineWithoutReading(q, 100);
      await until(async () => ((await omem(obs, id)) ?? 0) > 2 * MB, 5000, 'replies to pile up');
      c.socket.removeAllListeners('data');
      let got = 0;
      c.socket.on('data', (d: Buffer) => (got += d.length));
      c.socket.resume();
      await until(() => got === 100 * replyBytes, 10_000, `all replies (${got} of ${100 * replyBytes} bytes)`);
      assert.notEqual(await omem(obs, id), null, 'still connected');
      assert.ok(!q.logs.some((l) => /overcoming of output buffer limits/.test(l)));
      c.close();
    } finally {
      obs.close();
      await q.stop();
    }
  });

  it('rejects a negative limit in the config', () => {
    assert.throws(() => resolveConfig({ queue: { clientOutputBufferLimit: { pubsub: { soft: -1 } } } }), /queue\.clientOutputBufferLimit\.pubsub\.soft must be an integer >= 0/);
  });

  it('CONFIG GET shows the configured limits', async () => {
    const q = await startEmbedded({ clientOutputBufferLimit: { normal: { hard: MB, soft: 512, softSeconds: 7 }, pubsub: { hard: 0 } } });
    const c = await RawClient.connect(q);
    try {
      const v = `normal ${MB} 512 7 slave 268435456 67108864 60 pubsub 0 8388608 60`;
      assert.equal(await c.call('CONFIG', 'GET', 'client-output-*'), `*2\r\n$26\r\nclient-output-buffer-limit\r\n$${v.length}\r\n${v}\r\n`);
    } finally {
      c.close();
      await q.stop();
    }
  });
});
