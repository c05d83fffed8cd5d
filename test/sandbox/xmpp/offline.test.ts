// XEP-0160 offline storage on disk (survives a restart) and XEP-0013 flexible retrieval.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { connect, isMessage, startServer, sync, until, xml, type TestServer } from './core/server-harness';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.stop({ keepData: true });
  for (const s of servers) await rm(s.dataDir, { recursive: true, force: true });
});
async function start(dataDir?: string) {
  const s = await startServer({}, dataDir);
  servers.push(s);
  return s;
}

test('a message to an offline user is stored, survives a restart, and is delivered on presence with <delay/>', async () => {
  const t1 = await start();
  const a = await connect(t1, 'sender', 's');
  await a.c.send(xml('message', { to: 'sleeper@localhost', type: 'chat' }, xml('body', {}, 'first')));
  await a.c.send(xml('message', { to: 'sleeper@localhost' }, xml('body', {}, 'second')));
  await a.c.send(xml('message', { to: 'sleeper@localhost', type: 'headline' }, xml('body', {}, 'not stored: headline')));
  await a.c.send(xml('message', { to: 'sleeper@localhost' }, xml('body', {}, 'not stored: no-store'), xml('no-store', { xmlns: 'urn:xmpp:hints' })));
  await sync(a);
  assert.deepEqual(t1.server.listOffline(), [{ bareJid: 'sleeper@localhost', count: 2 }]);
  const items = t1.server.listOffline('sleeper@localhost', true)[0]!.items!;
  assert.equal(items[0]!.from, 'sender@localhost/s');
  await t1.stop({ keepData: true });
  servers.splice(servers.indexOf(t1), 1);

  const t2 = await start(t1.dataDir);
  assert.equal(t2.server.listOffline('sleeper@localhost')[0]!.count, 2, 'still there after the restart');
  const s = await connect(t2, 'sleeper', 'r', { presence: null });
  // Presence once the client has taken <enabled/> in: stanzas that reach it in the same read as
  // <enabled/> are never counted in its h (docs/interop.md §3.7), so they would stay unacknowledged.
  await until(() => s.c.streamManagement.enabled, 'XEP-0198 on');
  await s.c.send(xml('presence', {}, xml('priority', {}, '1')));
  const m1 = await s.next(isMessage('first'));
  const m2 = await s.next(isMessage('second'));
  for (const m of [m1, m2]) {
    const delay = m.getChild('delay', 'urn:xmpp:delay')!;
    assert.ok(delay, 'has <delay/>');
    assert.equal(delay.attrs.from, 'localhost');
    assert.match(delay.attrs.stamp!, /^\d{4}-\d\d-\d\dT/);
    assert.equal(delay.getText(), 'Offline Storage');
    assert.equal(m.attrs.from, 'sender@localhost/s');
  }
  assert.equal(s.inbox.indexOf(m1), -1);
  // Removed once delivered: @xmpp/client has XEP-0198 on, so once it acknowledged them (docs/interop.md §3.6).
  await until(() => t2.server.listOffline().length === 0, 'flushed messages are removed');
  // A second presence does not flush again, and nothing else was stored.
  await s.c.send(xml('presence', {}, xml('priority', {}, '2')));
  await sync(s);
  assert.deepEqual(s.bodies(), []);
});

test('negative priority does not trigger the flood; the quota answers service-unavailable', async () => {
  const t = await startServer({ xmpp: { offlineQuota: 2 } });
  servers.push(t);
  const a = await connect(t, 'q-sender', 's');
  for (let i = 0; i < 3; i++) await a.c.send(xml('message', { to: 'q-user@localhost', id: `q${i}` }, xml('body', {}, `m${i}`)));
  const err = await a.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'q2');
  assert.ok(err.getChild('error')!.getChild('service-unavailable'));
  const u = await connect(t, 'q-user', 'neg', { presence: -1 });
  await sync(u);
  assert.deepEqual(u.bodies(), []);
  assert.equal(t.server.listOffline('q-user@localhost')[0]!.count, 2);
});

test('XEP-0013: headers first means no flood; view, remove and purge by node', async () => {
  const t = await start();
  const a = await connect(t, 'x-sender', 's');
  for (const b of ['one', 'two', 'three']) await a.c.send(xml('message', { to: 'x-user@localhost' }, xml('body', {}, b)));
  await sync(a);
  const u = await connect(t, 'x-user', 'r', { presence: null });
  const info = await u.c.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'http://jabber.org/protocol/offline' })));
  assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === 'http://jabber.org/protocol/offline'));
  const items = await u.c.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: 'http://jabber.org/protocol/offline' })));
  const headers = items.getChild('query')!.getChildren('item');
  assert.equal(headers.length, 3);
  assert.equal(headers[0]!.attrs.name, 'x-sender@localhost/s');
  assert.equal(headers[0]!.attrs.jid, 'x-user@localhost');
  // Presence now: no flood (XEP-0013 §2.2).
  await u.c.send(xml('presence'));
  await sync(u);
  assert.deepEqual(u.bodies(), []);
  // View one by node: delivered with <offline><item node/></offline>, still stored.
  const node = headers[1]!.attrs.node!;
  await u.c.iqCaller.request(xml('iq', { type: 'get' }, xml('offline', { xmlns: 'http://jabber.org/protocol/offline' }, xml('item', { action: 'view', node }))));
  const viewed = await u.next(isMessage('two'));
  assert.equal(viewed.getChild('offline', 'http://jabber.org/protocol/offline')!.getChild('item')!.attrs.node, node);
  assert.equal(t.server.listOffline('x-user@localhost')[0]!.count, 3);
  // Remove it, then an unknown node is item-not-found.
  await u.c.iqCaller.request(xml('iq', { type: 'set' }, xml('offline', { xmlns: 'http://jabber.org/protocol/offline' }, xml('item', { action: 'remove', node }))));
  assert.equal(t.server.listOffline('x-user@localhost')[0]!.count, 2);
  await assert.rejects(
    u.c.iqCaller.request(xml('iq', { type: 'get' }, xml('offline', { xmlns: 'http://jabber.org/protocol/offline' }, xml('item', { action: 'view', node })))),
    (e: Error & { condition?: string }) => e.condition === 'item-not-found',
  );
  // Fetch all, then purge.
  await u.c.iqCaller.request(xml('iq', { type: 'get' }, xml('offline', { xmlns: 'http://jabber.org/protocol/offline' }, xml('fetch'))));
  await u.next(isMessage('one'));
  await u.next(isMessage('three'));
  await u.c.iqCaller.request(xml('iq', { type: 'set' }, xml('offline', { xmlns: 'http://jabber.org/protocol/offline' }, xml('purge'))));
  assert.deepEqual(t.server.listOffline(), []);
  // Another user's messages are forbidden.
  await assert.rejects(
    a.c.iqCaller.request(xml('iq', { type: 'get', to: 'x-user@localhost' }, xml('offline', { xmlns: 'http://jabber.org/protocol/offline' }, xml('fetch')))),
    (e: Error & { condition?: string }) => e.condition === 'forbidden',
  );
});

test('purgeOffline and resetData wipe storage', async () => {
  const t = await start();
  const a = await connect(t, 'p-sender', 's');
  await a.c.send(xml('message', { to: 'p1@localhost' }, xml('body', {}, 'x')));
  await a.c.send(xml('message', { to: 'p2@localhost' }, xml('body', {}, 'y')));
  await sync(a);
  assert.equal(t.server.purgeOffline('p1@localhost'), 1);
  assert.deepEqual(t.server.listOffline().map((u) => u.bareJid), ['p2@localhost']);
  await t.server.resetData();
  assert.deepEqual(t.server.listOffline(), []);
});
