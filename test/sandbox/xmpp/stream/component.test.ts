// XEP-0114 component streams with the real @xmpp/component 0.13.1 (docs/interop.md §2).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { component, xml, type Component } from '@xmpp/component';
import { client, type Client } from '@xmpp/client';
import { RawClient, startHarness, type Harness } from './harness';

let h: Harness;
const open: (Component | Client)[] = [];

before(async () => {
  h = await startHarness({ xmpp: { components: { 'queue.localhost': 's3cret', 'other.localhost': 'x' } } });
});
after(async () => {
  for (const c of open) await c.stop().catch(() => {});
  await h.listeners.stop();
});

function comp(domain: string, password: string): Component {
  const c = component({ service: `xmpp://127.0.0.1:${h.ports.componentPort}`, domain, password });
  c.on('error', () => {});
  c.reconnect.stop();
  open.push(c);
  return c;
}

function errorCondition(c: Component): Promise<string> {
  return new Promise((r) => c.on('error', (e: Error & { condition?: string }) => r(e.condition ?? e.message)));
}

test('handshake OK, then stanzas flow both ways with a c2s client', async () => {
  const q = comp('queue.localhost', 's3cret');
  await q.start();
  const session = h.listeners.sessions().find((s) => s.kind === 'component')!;
  assert.match(session.id, /^comp-\d+$/);
  assert.equal(session.jid?.full, 'queue.localhost');
  assert.equal(session.transport, 'component');
  assert.ok(h.sm.events.includes(`componentUp ${session.id} queue.localhost`));

  const u = client({ service: `xmpp://127.0.0.1:${h.ports.c2sPort}`, domain: 'localhost', username: 'user', password: 'sandbox', resource: 'r' });
  u.on('error', () => {});
  open.push(u);
  await u.start();
  const atComp = new Promise<string>((r) => q.on('stanza', (s) => s.is('message') && r(`${s.attrs.from}|${s.getChildText('body')}`)));
  await u.send(xml('message', { to: 'jobs@queue.localhost' }, xml('body', {}, 'work')));
  assert.equal(await atComp, 'user@localhost/r|work');
  const atUser = new Promise<string>((r) => u.on('stanza', (s) => s.is('message') && r(`${s.attrs.from}|${s.getChildText('body')}`)));
  await q.send(xml('message', { to: 'user@localhost/r', from: 'worker@queue.localhost' }, xml('body', {}, 'done')));
  assert.equal(await atUser, 'worker@queue.localhost|done');
  await u.stop();
  await q.stop();
  assert.ok(h.sm.events.includes(`ended ${session.id}`));
});

test('stanzas to a component are written in its own namespace (no jabber:client copied)', async () => {
  const raw = await RawClient.connect(h.ports.componentPort!);
  raw.write(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='other.localhost'>`);
  const header = await raw.waitFor(/<stream:stream [^>]*>/);
  assert.match(header, /xmlns='jabber:component:accept'/);
  assert.doesNotMatch(header, /stream:features/);
  const id = /id='([^']+)'/.exec(header)![1];
  raw.write(`<handshake>${createHash('sha1').update(id + 'x').digest('hex')}</handshake>`);
  await raw.waitFor(/<handshake\/>/);
  raw.data = '';
  const session = h.listeners.sessions().find((s) => s.jid?.full === 'other.localhost')!;
  session.send(xml('message', { xmlns: 'jabber:client', to: 'a@other.localhost', from: 'b@localhost/r' }, xml('body', {}, 'hi')));
  assert.equal(await raw.waitFor(/<\/message>/), `<message to="a@other.localhost" from="b@localhost/r"><body>hi</body></message>`);
  raw.write('</stream:stream>');
  await raw.waitClosed();
});

test('bad secret → not-authorized', async () => {
  const q = comp('queue.localhost', 'wrong');
  const cond = errorCondition(q);
  await assert.rejects(q.start());
  assert.equal(await cond, 'not-authorized');
  assert.ok(h.warnings.some((w) => /bad handshake for queue.localhost/.test(w)));
});

test('unknown domain → host-unknown', async () => {
  const q = comp('nope.localhost', 's3cret');
  const cond = errorCondition(q);
  await assert.rejects(q.start());
  assert.equal(await cond, 'host-unknown');
});

test('wrong stream namespace → invalid-namespace', async () => {
  const raw = await RawClient.connect(h.ports.componentPort!);
  raw.write(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='queue.localhost'>`);
  await raw.waitFor(/<stream:error><invalid-namespace xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
  await raw.waitClosed();
});

test('duplicate component → conflict, the first keeps working', async () => {
  const first = comp('queue.localhost', 's3cret');
  await first.start();
  const second = comp('queue.localhost', 's3cret');
  const cond = errorCondition(second);
  await assert.rejects(second.start());
  assert.equal(await cond, 'conflict');
  const u = client({ service: `xmpp://127.0.0.1:${h.ports.c2sPort}`, domain: 'localhost', username: 'dup', password: 'sandbox', resource: 'r' });
  u.on('error', () => {});
  open.push(u);
  await u.start();
  const at = new Promise<string>((r) => first.on('stanza', (s) => s.is('message') && r(s.getChildText('body') ?? '')));
  await u.send(xml('message', { to: 'q@queue.localhost' }, xml('body', {}, 'still here')));
  assert.equal(await at, 'still here');
  await u.stop();
  await first.stop();
});

test('spoofed from → invalid-from; missing to → improper-addressing', async () => {
  const q = comp('queue.localhost', 's3cret');
  await q.start();
  const cond = errorCondition(q);
  await q.send(xml('message', { to: 'user@localhost', from: 'admin@localhost' }, xml('body', {}, 'spoof')));
  assert.equal(await cond, 'invalid-from');
  assert.ok(!h.sm.received.some((r) => r.stanza.getChildText('body') === 'spoof'), 'spoofed stanza not passed on');
  await q.stop().catch(() => {});

  const raw = await RawClient.connect(h.ports.componentPort!);
  raw.write(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='queue.localhost'>`);
  const id = /id='([^']+)'/.exec(await raw.waitFor(/<stream:stream [^>]*>/))![1];
  raw.write(`<handshake>${createHash('sha1').update(id + 's3cret').digest('hex')}</handshake>`);
  await raw.waitFor(/<handshake\/>/);
  raw.write(`<message from='a@queue.localhost'><body>x</body></message>`);
  await raw.waitFor(/<improper-addressing xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
  await raw.waitClosed();
});

test('a stanza before the handshake → not-authorized', async () => {
  const raw = await RawClient.connect(h.ports.componentPort!);
  raw.write(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='queue.localhost'>`);
  await raw.waitFor(/<stream:stream [^>]*>/);
  raw.write(`<message to='a@localhost' from='queue.localhost'/>`);
  await raw.waitFor(/<not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
  await raw.waitClosed();
});
