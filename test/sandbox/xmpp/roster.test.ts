// RFC 6121 §2.1.3: a roster get is answered (an empty roster: the sandbox keeps none), so
// clients that fetch the roster at start-up (slixmpp's get_roster) do not fail. Found by
// test/sandbox/interop/slixmpp.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, startServer, xml, type TestServer } from './core/server-harness';

let t: TestServer;
before(async () => {
  t = await startServer();
});
after(() => t.stop());

test('roster get without `to` and to the own bare JID → an empty jabber:iq:roster result', async () => {
  const a = await connect(t, 'rosteruser', 'r');
  for (const attrs of [{ type: 'get' }, { type: 'get', to: 'rosteruser@localhost' }]) {
    const res = await a.c.iqCaller.request(xml('iq', attrs, xml('query', { xmlns: 'jabber:iq:roster' })));
    const q = res.getChild('query', 'jabber:iq:roster');
    assert.ok(q, `result carries the roster query for ${JSON.stringify(attrs)}`);
    assert.deepEqual(q.getChildren('item'), []);
  }
});

test("another user's roster is not answered (service-unavailable), nor is a roster set", async () => {
  const a = await connect(t, 'nosy', 'r');
  await connect(t, 'victim', 'r');
  const cond = (name: string) => (err: unknown) => (err as { condition?: string }).condition === name;
  await assert.rejects(a.c.iqCaller.request(xml('iq', { type: 'get', to: 'victim@localhost' }, xml('query', { xmlns: 'jabber:iq:roster' }))), cond('service-unavailable'));
  await assert.rejects(
    a.c.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: 'victim@localhost' })))),
    cond('service-unavailable'),
  );
});
