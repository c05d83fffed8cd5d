// Components (XEP-0114) through the session manager: routing to a component domain and its
// subdomain JIDs, offline component → service-unavailable, unknown domain →
// remote-server-not-found, a spoofed `from` refused end-to-end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { component, type Component } from '@xmpp/component';
import { connect, isMessage, startServer, sleep, sync, until, xml, type TestServer } from './core/server-harness';

let t: TestServer;
const comps: Component[] = [];
before(async () => {
  t = await startServer({ xmpp: { components: { 'queue.localhost': 's3cret', 'spare.localhost': 'x' } } });
});
after(async () => {
  for (const c of comps) await c.stop().catch(() => {});
  await t.stop();
});

async function startComponent(domain: string, password: string): Promise<{ c: Component; inbox: import('@xmpp/xml').Element[] }> {
  const c = component({ service: `xmpp://127.0.0.1:${t.ports.componentPort}`, domain, password });
  c.on('error', () => {});
  c.reconnect.stop();
  comps.push(c);
  const inbox: import('@xmpp/xml').Element[] = [];
  c.on('stanza', (s) => inbox.push(s));
  await c.start();
  return { c, inbox };
}

test('stanzas to the component domain and its JIDs reach it; its replies reach users', async () => {
  const q = await startComponent('queue.localhost', 's3cret');
  assert.deepEqual(t.server.listComponents().map((c) => c.domain), ['queue.localhost']);
  const u = await connect(t, 'alice', 'a');
  await u.c.send(xml('message', { to: 'queue.localhost' }, xml('body', {}, 'to domain')));
  await u.c.send(xml('message', { to: 'jobs@queue.localhost' }, xml('body', {}, 'to a JID')));
  await until(() => q.inbox.filter((s) => s.is('message')).length === 2, 'two messages at the component');
  const [m1, m2] = q.inbox.filter((s) => s.is('message'));
  assert.equal(m1!.attrs.from, 'alice@localhost/a');
  assert.equal(m2!.attrs.to, 'jobs@queue.localhost');
  await q.c.send(xml('message', { to: 'alice@localhost', from: 'jobs@queue.localhost' }, xml('body', {}, 'done')));
  const back = await u.next(isMessage('done'));
  assert.equal(back.attrs.from, 'jobs@queue.localhost');
  // The component pings the server.
  q.c.send(xml('iq', { type: 'get', id: 'cp1', to: 'localhost', from: 'queue.localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  await until(() => q.inbox.some((s) => s.is('iq') && s.attrs.id === 'cp1' && s.attrs.type === 'result'), 'ping result at the component');
  await q.c.stop();
  await until(() => t.server.listComponents().length === 0, 'component gone');
});

test('a configured but offline component → service-unavailable; an unknown domain → remote-server-not-found', async () => {
  const u = await connect(t, 'bob', 'b');
  await u.c.send(xml('message', { to: 'x@spare.localhost', id: 'm1' }, xml('body', {}, 'hello?')));
  const e1 = await u.next((s) => s.attrs.id === 'm1' && s.attrs.type === 'error');
  assert.ok(e1.getChild('error')!.getChild('service-unavailable'));
  await assert.rejects(
    u.c.iqCaller.request(xml('iq', { type: 'get', to: 'spare.localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))),
    (e: Error & { condition?: string }) => e.condition === 'service-unavailable',
  );
  await u.c.send(xml('message', { to: 'x@nowhere.example', id: 'm2' }, xml('body', {}, 'hello?')));
  const e2 = await u.next((s) => s.attrs.id === 'm2' && s.attrs.type === 'error');
  assert.ok(e2.getChild('error')!.getChild('remote-server-not-found'));
});

test('a component cannot spoof a local user as from', async () => {
  const q = await startComponent('queue.localhost', 's3cret');
  const victim = await connect(t, 'carol', 'c');
  const errored = new Promise<string>((r) => q.c.on('error', (e: Error & { condition?: string }) => r(e.condition ?? e.message)));
  await q.c.send(xml('message', { to: 'carol@localhost/c', from: 'dave@localhost/x' }, xml('body', {}, 'spoofed')));
  assert.equal(await Promise.race([errored, sleep(2000).then(() => 'no error')]), 'invalid-from');
  await sync(victim);
  assert.equal(victim.inbox.filter(isMessage('spoofed')).length, 0, 'the spoofed message was not delivered');
});
