// Server IQs (docs/interop.md §3.4, §3.5): XEP-0199 ping, XEP-0030 disco, XEP-0092 version,
// IQs to bare and full JIDs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, startServer, xml, type TestServer } from './core/server-harness';

let t: TestServer;
before(async () => {
  t = await startServer();
});
after(() => t.stop());

const cond = (c: string) => (e: Error & { condition?: string }) => e.condition === c;

test('ping, disco#info, disco#items and version round-trips', async () => {
  const a = await connect(t, 'alice', 'a');
  const pong = await a.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  assert.equal(pong.attrs.type, 'result');
  assert.equal(pong.attrs.from, 'localhost');
  const info = (await a.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))).getChild('query')!;
  assert.equal(info.getChild('identity')!.attrs.category, 'server');
  const vars = info.getChildren('feature').map((f) => f.attrs.var);
  for (const v of ['http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items', 'urn:xmpp:ping', 'jabber:iq:version', 'msgoffline', 'http://jabber.org/protocol/offline']) {
    assert.ok(vars.includes(v), `feature ${v}`);
  }
  const items = (await a.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })))).getChild('query')!;
  assert.deepEqual(items.getChildren('item').map((i) => i.attrs.jid), ['bridge.localhost', 'component.localhost']);
  const ver = (await a.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'jabber:iq:version' })))).getChild('query')!;
  assert.equal(ver.getChildText('name'), 'sandbox');
  assert.equal(ver.getChildText('version'), '0.1.0');
  await assert.rejects(a.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'nope' }))), cond('item-not-found'));
  await assert.rejects(a.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'urn:x:unknown' }))), cond('service-unavailable'));
});

test('iq to a bare JID is answered by the server on behalf of the account', async () => {
  const a = await connect(t, 'bob', 'a');
  await connect(t, 'carol', 'c');
  const pong = await a.c.iqCaller.request(xml('iq', { type: 'get', to: 'carol@localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  assert.equal(pong.attrs.from, 'carol@localhost');
  const info = (await a.c.iqCaller.request(xml('iq', { type: 'get', to: 'carol@localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))).getChild('query')!;
  assert.deepEqual(info.getChild('identity')!.attrs, { category: 'account', type: 'registered' });
  await assert.rejects(a.c.iqCaller.request(xml('iq', { type: 'get', to: 'carol@localhost' }, xml('query', { xmlns: 'jabber:iq:version' }))), cond('service-unavailable'));
});

test('iq to a connected full JID is delivered; to an offline full JID → service-unavailable', async () => {
  const a = await connect(t, 'dave', 'a');
  const b = await connect(t, 'erin', 'b');
  b.c.iqCallee.get('urn:x:echo', 'echo', () => xml('echo', { xmlns: 'urn:x:echo' }, 'from erin'));
  const res = await a.c.iqCaller.request(xml('iq', { type: 'get', to: 'erin@localhost/b' }, xml('echo', { xmlns: 'urn:x:echo' })));
  assert.equal(res.getChildText('echo'), 'from erin');
  assert.equal(res.attrs.from, 'erin@localhost/b');
  await assert.rejects(a.c.iqCaller.request(xml('iq', { type: 'get', to: 'erin@localhost/gone' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))), cond('service-unavailable'));
  await assert.rejects(a.c.iqCaller.request(xml('iq', { type: 'get', to: 'nobody@elsewhere.example' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))), cond('remote-server-not-found'));
});

test('a malformed to gets jid-malformed and the session goes on', async () => {
  const a = await connect(t, 'frank', 'a');
  await assert.rejects(a.c.iqCaller.request(xml('iq', { type: 'get', to: 'bad@@localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))), cond('jid-malformed'));
  const pong = await a.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  assert.equal(pong.attrs.type, 'result');
});
