// XEP-0198 on c2s streams (docs/interop.md §3.7): enable, acks, resumption with the real
// @xmpp/client and with a raw socket, window expiry handing unacked stanzas back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { client, xml, type Client } from '@xmpp/client';
import { RawClient, rawLogin, STREAM_HEADER, startHarness, type Harness } from './harness';

let h: Harness;
const clients: Client[] = [];

before(async () => {
  h = await startHarness({ xmpp: { smResumeTimeoutSec: 1 } });
});
after(async () => {
  for (const c of clients) await c.stop().catch(() => {});
  await h.listeners.stop();
});

function tcpClient(username: string, resource: string): Client {
  const c = client({ service: `xmpp://127.0.0.1:${h.ports.c2sPort}`, domain: 'localhost', username, password: 'sandbox', resource });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const A = `xmlns='urn:xmpp:sm:3'`;

test('@xmpp/client: socket destroyed, stanzas queue while detached, client resumes and gets them', async () => {
  // A longer window than the harness default: the client reconnects after 1 s.
  const h2 = await startHarness({ xmpp: { smResumeTimeoutSec: 30 } });
  const a = client({ service: `xmpp://127.0.0.1:${h2.ports.c2sPort}`, domain: 'localhost', username: 'amy', password: 'sandbox', resource: 'r' });
  const b = client({ service: `xmpp://127.0.0.1:${h2.ports.c2sPort}`, domain: 'localhost', username: 'ben', password: 'sandbox', resource: 'r' });
  a.on('error', () => {});
  b.on('error', () => {});
  try {
    await a.start();
    await b.start();
    await until(() => a.streamManagement.enabled, 'sm enabled on the client');
    const session = h2.listeners.sessions().find((s) => s.jid?.full === 'amy@localhost/r')!;
    await until(() => session.sm === 'on', 'sm on at the server');
    const bodies: string[] = [];
    a.on('stanza', (s) => s.is('message') && bodies.push(s.getChildText('body') ?? ''));
    const resumed = new Promise<void>((r) => a.streamManagement.on('resumed', () => r()));

    (a.socket as Socket).destroy();
    await until(() => session.sm === 'detached', 'session detached');
    assert.ok(h2.sm.events.includes(`detached ${session.id}`));
    await b.send(xml('message', { to: 'amy@localhost/r' }, xml('body', {}, 'while away')));
    await until(() => h2.sm.received.some((r) => r.stanza.getChildText('body') === 'while away'), 'message routed');

    await resumed;
    await until(() => bodies.includes('while away'), 'queued message retransmitted after resumption');
    assert.equal(session.sm, 'on');
    assert.ok(h2.sm.events.includes(`resumed ${session.id}`));
    assert.ok(!h2.sm.events.includes(`ended ${session.id}`), 'not ended');
    assert.equal(h2.listeners.sessions().filter((s) => s.jid?.full === 'amy@localhost/r').length, 1, 'one session, same id');
    // still routable after resumption
    await b.send(xml('message', { to: 'amy@localhost/r' }, xml('body', {}, 'after')));
    await until(() => bodies.includes('after'), 'message after resumption');
  } finally {
    await a.stop().catch(() => {});
    await b.stop().catch(() => {});
    await h2.listeners.stop();
  }
});

test('enable before bind fails with unexpected-request', async () => {
  const c = await RawClient.connect(h.ports.c2sPort);
  c.write(STREAM_HEADER);
  await c.waitFor(/<\/stream:features>/);
  c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\0pre\0sandbox').toString('base64')}</auth>`);
  await c.waitFor(/<success/);
  c.write(STREAM_HEADER);
  await c.waitFor(/<\/stream:features>/);
  c.data = '';
  c.write(`<enable ${A} resume='true'/>`);
  assert.match(await c.waitFor(/<\/failed>/), /<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'\/><\/failed>/);
  c.destroy();
});

test('enable, <r/> answered with the inbound count, server requests acks, <a/> trims the queue', async () => {
  const c = await rawLogin(h.ports.c2sPort, 'raw1', 'sandbox', 'r');
  const peer = await rawLogin(h.ports.c2sPort, 'raw2', 'sandbox', 'r');
  c.write(`<presence/>`); // before enable: not counted
  c.write(`<enable ${A} resume='true'/>`);
  const enabled = await c.waitFor(/<enabled [^>]*\/>/);
  assert.match(enabled, /<enabled xmlns='urn:xmpp:sm:3' id='[^']+' resume='true' max='1'\/>/);
  c.write(`<message to='nobody@localhost'/><message to='nobody@localhost'/><r ${A}/>`);
  await c.waitFor(/<a xmlns='urn:xmpp:sm:3' h='2'\/>/);
  const session = h.listeners.sessions().find((s) => s.jid?.full === 'raw1@localhost/r')!;
  assert.equal(session.sm, 'on');
  c.data = '';
  for (let i = 0; i < 3; i++) peer.write(`<message to='raw1@localhost/r'><body>m${i}</body></message>`);
  // the server asks for an ack after a short burst
  await c.waitFor(/m2<\/body><\/message>[\s\S]*<r xmlns='urn:xmpp:sm:3'\/>/);
  c.write(`<a ${A} h='2'/>`);
  c.write('</stream:stream>');
  await c.waitClosed();
  await until(() => h.sm.events.includes(`ended ${session.id}`), 'ended after a clean close');
  assert.ok(!h.sm.events.includes(`detached ${session.id}`), 'a clean close does not detach');
  assert.deepEqual(h.sm.endedUnacked.get(session.id)!.map((e) => e.getChildText('body')), ['m2'], 'the one unacked stanza is handed back');
  peer.destroy();
});

test('raw resume: retransmits unacked stanzas; unknown id or another user gets item-not-found', async () => {
  const c = await rawLogin(h.ports.c2sPort, 'res', 'sandbox', 'r');
  const peer = await rawLogin(h.ports.c2sPort, 'res2', 'sandbox', 'r');
  c.write(`<enable ${A} resume='true'/>`);
  const id = /<enabled [^>]*id='([^']+)'/.exec(await c.waitFor(/<enabled [^>]*\/>/))![1];
  peer.write(`<message to='res@localhost/r'><body>one</body></message><message to='res@localhost/r'><body>two</body></message>`);
  await c.waitFor(/two/);
  c.write(`<a ${A} h='1'/>`);
  const session = h.listeners.sessions().find((s) => s.jid?.full === 'res@localhost/r')!;
  await new Promise((r) => setTimeout(r, 50));
  c.destroy();
  await until(() => session.sm === 'detached', 'detached');

  const resumeAs = async (user: string, previd: string): Promise<RawClient> => {
    const n = await RawClient.connect(h.ports.c2sPort);
    n.write(STREAM_HEADER);
    await n.waitFor(/<\/stream:features>/);
    n.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0sandbox`).toString('base64')}</auth>`);
    await n.waitFor(/<success/);
    n.write(STREAM_HEADER);
    await n.waitFor(/<\/stream:features>/);
    n.data = '';
    n.write(`<resume ${A} previd='${previd}' h='1'/>`);
    return n;
  };
  const wrongUser = await resumeAs('eve', id);
  assert.match(await wrongUser.waitFor(/<\/failed>/), /<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'\/>/);
  wrongUser.destroy();
  const unknown = await resumeAs('res', 'no-such-id');
  assert.match(await unknown.waitFor(/<\/failed>/), /<item-not-found/);
  unknown.destroy();

  const n = await resumeAs('res', id);
  const got = await n.waitFor(/<resumed [^>]*\/>[\s\S]*two/);
  assert.match(got, new RegExp(`<resumed xmlns='urn:xmpp:sm:3' h='0' previd='${id}'/>`));
  assert.doesNotMatch(got, /one/, 'acked stanza not retransmitted');
  assert.equal(session.sm, 'on');
  assert.ok(h.sm.events.includes(`resumed ${session.id}`));
  // the resumed stream carries stanzas both ways
  n.data = '';
  peer.write(`<message to='res@localhost/r'><body>three</body></message>`);
  await n.waitFor(/three/);
  n.write(`<message to='res2@localhost/r'><body>back</body></message>`);
  await peer.waitFor(/back/);
  n.destroy();
  peer.destroy();
});

test('resumption window expiry ends the session once, handing back unacked stanzas', async () => {
  const c = await rawLogin(h.ports.c2sPort, 'exp', 'sandbox', 'r');
  const peer = await rawLogin(h.ports.c2sPort, 'exp2', 'sandbox', 'r');
  c.write(`<enable ${A} resume='true'/>`);
  await c.waitFor(/<enabled/);
  const session = h.listeners.sessions().find((s) => s.jid?.full === 'exp@localhost/r')!;
  peer.write(`<message to='exp@localhost/r'><body>lost1</body></message>`);
  await c.waitFor(/lost1/);
  c.destroy();
  await until(() => session.sm === 'detached', 'detached');
  peer.write(`<message to='exp@localhost/r'><body>lost2</body></message>`);
  await until(() => h.sm.events.includes(`ended ${session.id}`), 'ended after the 1 s window', 4000);
  assert.deepEqual(h.sm.endedUnacked.get(session.id)!.map((e) => e.getChildText('body')), ['lost1', 'lost2']);
  assert.equal(h.sm.events.filter((e) => e === `ended ${session.id}`).length, 1);
  assert.equal(session.send(xml('message', {})), false, 'sending to an ended session is a no-op');
  peer.destroy();
});

test('without SM a lost connection ends the session at once', async () => {
  const c = await rawLogin(h.ports.c2sPort, 'nosm', 'sandbox', 'r');
  const session = h.listeners.sessions().find((s) => s.jid?.full === 'nosm@localhost/r')!;
  c.destroy();
  await until(() => h.sm.events.includes(`ended ${session.id}`), 'ended');
  assert.ok(!h.sm.events.includes(`detached ${session.id}`));
});

test('resuming while the old connection still looks alive takes the session over', async () => {
  const old = await rawLogin(h.ports.c2sPort, 'take', 'sandbox', 'r');
  old.write(`<enable ${A} resume='true'/>`);
  const id = /<enabled [^>]*id='([^']+)'/.exec(await old.waitFor(/<enabled [^>]*\/>/))![1];
  const session = h.listeners.sessions().find((s) => s.jid?.full === 'take@localhost/r')!;
  const n = await RawClient.connect(h.ports.c2sPort);
  n.write(STREAM_HEADER);
  await n.waitFor(/<\/stream:features>/);
  n.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\0take\0sandbox').toString('base64')}</auth>`);
  await n.waitFor(/<success/);
  n.write(STREAM_HEADER);
  await n.waitFor(/<\/stream:features>/);
  n.write(`<resume ${A} previd='${id}' h='0'/>`);
  await n.waitFor(/<resumed /);
  await old.waitClosed();
  assert.equal(session.sm, 'on');
  assert.ok(!h.sm.events.includes(`ended ${session.id}`));
  assert.ok(!h.sm.events.includes(`detached ${session.id}`), 'handed over directly, never detached');
  n.data = '';
  n.write(`<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await n.waitFor(/id="p1"/);
  n.write('</stream:stream>');
  await n.waitClosed();
  await until(() => h.sm.events.includes(`ended ${session.id}`), 'ended once closed');
});
