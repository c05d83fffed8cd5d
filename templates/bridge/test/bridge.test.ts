// The bridge against real servers: a sandbox of its own, or the ones the environment names
// (test/server.ts). Real component stream, real Redis protocol.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { QueueBridge } from '../src/bridge.js';
import { startClient, testServers, type TestServers } from './server.js';
import { xml } from '@xmpp/client';

let servers: TestServers;
let redis: Redis;

before(async () => {
  servers = await testServers();
  redis = new Redis(servers.bridge.redisUrl);
});
after(async () => {
  const b = servers.bridge;
  await redis?.del(b.outbox, b.processing, b.deadLetters, b.replies).catch(() => undefined);
  await redis?.quit();
  await servers?.stop();
});

test('stanzas pushed to the outbox reach XMPP in order with their from forced into the domain; malformed ones become dead letters', async () => {
  const b = servers.bridge;
  const alice = await startClient(servers);
  // An item a crashed run left in processing is sent first.
  await redis.lpush(b.processing, `<message to='${alice.jid}'><body>left over</body></message>`);
  const bridge = new QueueBridge(b, () => {});
  await bridge.start();
  try {
    await redis.lpush(b.outbox, `<message to='${alice.jid}' from='mallory@elsewhere'><body>one</body></message>`);
    await redis.lpush(b.outbox, '<message to="nobody@x"><body>unclosed</body>');
    await redis.lpush(b.outbox, `<message to='${alice.jid}' from='orders@${b.domain}/r1'><body>two</body></message>`);
    await alice.until(() => alice.received.length >= 3, 'three messages');
    assert.deepEqual(alice.received.map((m) => m.getChildText('body')), ['left over', 'one', 'two']);
    assert.equal(alice.received[1]!.attrs.from, b.domain, 'from forced into the domain');
    assert.equal(alice.received[2]!.attrs.from, `orders@${b.domain}/r1`, 'a from in the domain is kept');

    const dead = (await redis.lrange(b.deadLetters, 0, -1)).map((d) => JSON.parse(d) as { reason: string; item: string; at: string });
    assert.equal(dead.length, 1);
    assert.match(dead[0]!.reason, /closed/);
    assert.equal(dead[0]!.item, '<message to="nobody@x"><body>unclosed</body>');
    assert.equal(await redis.llen(b.processing), 0, 'nothing left in processing');
    assert.equal(await redis.llen(b.outbox), 0);
    assert.deepEqual(bridge.stats, { sent: 3, dead: 1, replies: 0, recovered: 1 });
  } finally {
    await bridge.stop();
    await alice.stop();
  }
});

test('stanzas addressed to the component go to the reply list', async () => {
  const b = servers.bridge;
  const alice = await startClient(servers);
  const bridge = new QueueBridge(b, () => {});
  await bridge.start();
  try {
    await alice.xmpp.send(xml('message', { to: `orders@${b.domain}`, type: 'chat', id: 'm1' }, xml('body', {}, 'order 42')));
    const deadline = Date.now() + 10_000;
    while ((await redis.llen(b.replies)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const [reply] = await redis.lrange(b.replies, 0, -1);
    assert.ok(reply, 'a reply was pushed');
    assert.match(reply, /order 42/);
    assert.match(reply, new RegExp(`from="${alice.jid.replace(/[.]/g, '\\.')}"`));
  } finally {
    await bridge.stop();
    await alice.stop();
  }
});
