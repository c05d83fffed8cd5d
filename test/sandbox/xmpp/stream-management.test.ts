// XEP-0198 fallback through the session manager (docs/interop.md §3.7): a worker whose
// connection dies with unacknowledged messages does not lose them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { connect, isMessage, sleep, startServer, sync, until, xml, type TestClient, type TestServer } from './core/server-harness';

let t: TestServer;
before(async () => {
  // No resumption window: a dropped connection ends the session at once, handing back the unacked stanzas.
  t = await startServer({ xmpp: { smResumeTimeoutSec: 0 } });
});
after(() => t.stop());

/** Kill the worker's TCP connection the moment it receives `body`, before it can ack. */
function dieOn(w: TestClient, body: string): Promise<void> {
  w.c.reconnect.stop();
  return new Promise((resolve) =>
    w.c.on('stanza', (s) => {
      if (s.is('message') && s.getChildText('body') === body) {
        (w.c.socket as Socket).destroy();
        resolve();
      }
    }),
  );
}

test('unacked bare-JID messages of a dead worker go to another resource', async () => {
  const w1 = await connect(t, 'worker', 'w1', { presence: 10 });
  const w2 = await connect(t, 'worker', 'w2', { presence: 5 });
  await until(() => w1.c.streamManagement.enabled, 'XEP-0198 on');
  const p = await connect(t, 'producer', 'p');
  const died = dieOn(w1, 'job-A');
  await p.c.send(xml('message', { to: 'worker@localhost' }, xml('body', {}, 'job-A')));
  await died;
  const m = await w2.next(isMessage('job-A'));
  assert.equal(m.attrs.to, 'worker@localhost');
  await until(() => !t.server.listSessions().some((s) => s.resources.some((r) => r.resource === 'w1')), 'w1 gone');
});

test('with no other resource, unacked messages go to offline storage and arrive on the next presence', async () => {
  const w = await connect(t, 'solo', 'w', { presence: 1 });
  await until(() => w.c.streamManagement.enabled, 'XEP-0198 on');
  const p = await connect(t, 'producer2', 'p');
  const died = dieOn(w, 'job-B');
  await p.c.send(xml('message', { to: 'solo@localhost/w', type: 'chat' }, xml('body', {}, 'job-B')));
  await died;
  await until(() => t.server.listOffline('solo@localhost')[0]?.count === 1, 'stored offline');
  const again = await connect(t, 'solo', 'w2', { presence: 1 });
  const m = await again.next(isMessage('job-B'));
  assert.ok(m.getChild('delay', 'urn:xmpp:delay'));
  await sync(again);
  assert.deepEqual(t.server.listOffline(), []);
});
