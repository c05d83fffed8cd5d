// The server's control surface used by the extension: inject, kick, stats, change events.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlError } from '../../../sandbox/control/api';
import { connect, isMessage, sleep, startServer, sync, until, xml, type TestServer } from './core/server-harness';

let t: TestServer;
before(async () => {
  t = await startServer();
});
after(() => t.stop());

test('inject as a connected full JID is processed as that session sending; as any other JID as incoming', async () => {
  const a = await connect(t, 'alice', 'a');
  const b = await connect(t, 'bob', 'b');
  const id1 = t.server.inject('alice@localhost/a', `<message to='bob@localhost' from='forged@localhost'><body>injected out</body></message>`);
  const m1 = await b.next(isMessage('injected out'));
  assert.equal(m1.attrs.from, 'alice@localhost/a', 'from stamped to the session');
  const arr1 = t.trace.forPacket(id1).find((e) => e.type === 'arrival');
  assert.ok(arr1 && arr1.type === 'arrival' && arr1.direction === 'out' && arr1.source.kind === 'inject');
  const id2 = t.server.inject('robot@component.localhost', `<message to='bob@localhost/b'><body>injected in</body></message>`);
  const m2 = await b.next(isMessage('injected in'));
  assert.equal(m2.attrs.from, 'robot@component.localhost');
  const arr2 = t.trace.forPacket(id2).find((e) => e.type === 'arrival');
  assert.ok(arr2 && arr2.type === 'arrival' && arr2.direction === 'in');
  await sync(a);
});

test('inject rejects bad input with ControlError codes', () => {
  const code = (c: string) => (e: unknown) => e instanceof ControlError && e.code === c;
  assert.throws(() => t.server.inject('bad@@jid', '<message/>'), code('jid-malformed'));
  assert.throws(() => t.server.inject('a@localhost', '<message><body>'), code('xml-invalid'));
  assert.throws(() => t.server.inject('a@localhost', '<foo/>'), code('bad-params'));
  assert.throws(() => t.server.inject('a@localhost', `<message to='x@@y'/>`), code('jid-malformed'));
  // The stanza validator's rules (sandbox/xmpp/stanza-validator.ts), with its messages.
  const refused = (c: string, message: RegExp) => (e: unknown) => code(c)(e) && message.test((e as Error).message);
  assert.throws(() => t.server.inject('a@localhost', `<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`), refused('bad-params', /^an iq needs an id \(RFC 6120 §8\.1\.3\)$/));
  assert.throws(() => t.server.inject('a@localhost', `<iq type='get' id='1' to='localhost'/>`), refused('bad-params', /exactly one payload element/));
  assert.throws(() => t.server.inject('a@localhost', `<message type='shout'/>`), refused('bad-params', /a message's type must be/));
  assert.throws(() => t.server.inject('a@localhost', `<message><!-- c --></message>`), refused('xml-invalid', /^restricted XML: comment /));
  assert.throws(() => t.server.inject('a@localhost', `<message xmlns='urn:x'/>`), refused('bad-params', /namespace must be/));
  assert.throws(() => t.server.inject('a@localhost', `<message><body>${'x'.repeat(300 * 1024)}</body></message>`), refused('xml-invalid', /larger than/));
});

test('kick closes a session; stats count stanzas; change events fire', async () => {
  const events: string[] = [];
  for (const e of ['sessions-changed', 'offline-changed']) t.server.events.on(e, () => events.push(e));
  const before = t.server.stats();
  const c = await connect(t, 'carol', 'k');
  c.c.reconnect.stop();
  await until(() => events.includes('sessions-changed'), 'sessions-changed');
  await c.c.send(xml('message', { to: 'nobody-here@localhost' }, xml('body', {}, 'for later')));
  await sync(c);
  await until(() => events.includes('offline-changed'), 'offline-changed');
  const after1 = t.server.stats();
  assert.ok(after1.stanzasIn >= before.stanzasIn + 3, 'presence, message, ping');
  assert.ok(after1.stanzasOut > before.stanzasOut);
  assert.equal(t.server.kick('carol@localhost/k', 'policy-violation'), true);
  await until(() => !t.server.listSessions().some((s) => s.bareJid === 'carol@localhost'), 'carol gone');
  assert.equal(t.server.kick('carol@localhost/k'), false);
});
