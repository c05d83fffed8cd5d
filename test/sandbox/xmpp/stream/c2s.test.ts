// c2s over TCP with the real @xmpp/client 0.14: SCRAM-SHA-1 logins, accounts, wrong
// passwords, resource binding, conflicts (docs/interop.md §1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, xml, type Client } from '@xmpp/client';
import { RawClient, STREAM_HEADER, rawLogin, startHarness, type Harness } from './harness';

let h: Harness;
const clients: Client[] = [];

before(async () => {
  h = await startHarness({ xmpp: { accounts: { carol: 'carols-own' } } });
});
after(async () => {
  for (const c of clients) await c.stop().catch(() => {});
  await h.listeners.stop();
});

function tcpClient(username: string, password: string, resource?: string): Client {
  const c = client({ service: `xmpp://127.0.0.1:${h.ports.c2sPort}`, domain: 'localhost', username, password, resource });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

test('any username logs in with the sandbox password (SCRAM-SHA-1 over TCP)', async () => {
  const c = tcpClient('Alice', 'sandbox', 'app1');
  const j = await c.start();
  assert.equal(j.toString(), 'alice@localhost/app1');
  assert.ok(h.sm.events.includes(`bind ${[...h.sm.byFull.entries()].find(([k]) => k === 'alice@localhost/app1')![1].id} alice@localhost/app1`));
  const s = h.listeners.sessions().find((x) => x.jid?.full === 'alice@localhost/app1')!;
  assert.equal(s.kind, 'c2s');
  assert.equal(s.transport, 'tcp');
  assert.match(s.id, /^c2s-\d+$/);
  await c.stop();
});

test('a declared account uses its own password, not the sandbox one', async () => {
  const ok = tcpClient('carol', 'carols-own', 'x');
  assert.equal((await ok.start()).toString(), 'carol@localhost/x');
  await ok.stop();
  const bad = tcpClient('carol', 'sandbox', 'x');
  await assert.rejects(bad.start(), (e: Error & { condition?: string }) => e.condition === 'not-authorized');
  await bad.stop().catch(() => {});
});

test('a wrong password fails with not-authorized', async () => {
  const c = tcpClient('dave', 'wrong');
  await assert.rejects(c.start(), (e: Error & { condition?: string }) => e.condition === 'not-authorized');
  await c.stop().catch(() => {});
  assert.ok(h.warnings.some((w) => /authentication failed: wrong password/.test(w)));
});

test('the server generates a resource when none is requested', async () => {
  const c = tcpClient('erin', 'sandbox');
  const j = await c.start();
  assert.equal(j.bare().toString(), 'erin@localhost');
  assert.ok(j.resource.length > 0, 'resource generated');
  await c.stop();
});

test('two clients exchange a message and an IQ is answered', async () => {
  const a = tcpClient('frank', 'sandbox', 'a');
  const b = tcpClient('grace', 'sandbox', 'b');
  await a.start();
  await b.start();
  const got = new Promise<string>((r) => b.on('stanza', (s) => s.is('message') && r(s.getChildText('body') ?? '')));
  await a.send(xml('message', { to: 'grace@localhost/b', type: 'chat' }, xml('body', {}, 'ping <&> é')));
  assert.equal(await got, 'ping <&> é');
  const res = await a.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'urn:x:test' })));
  assert.equal(res.attrs.type, 'result');
  await a.stop();
  await b.stop();
});

test('stream header, features and session IQ on the wire', async () => {
  const raw = await RawClient.connect(h.ports.c2sPort);
  raw.write(STREAM_HEADER);
  const first = await raw.waitFor(/<\/stream:features>/);
  assert.match(first, /<stream:stream [^>]*id='[0-9a-f]+'/);
  assert.match(first, /<mechanism>SCRAM-SHA-1<\/mechanism><mechanism>PLAIN<\/mechanism><\/mechanisms>/);
  assert.doesNotMatch(first, /starttls|ANONYMOUS/);
  const id1 = /id='([0-9a-f]+)'/.exec(first)![1];
  raw.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\0heidi\0sandbox').toString('base64')}</auth>`);
  await raw.waitFor(/<success/);
  raw.data = '';
  raw.write(STREAM_HEADER);
  const second = await raw.waitFor(/<\/stream:features>/);
  const id2 = /id='([0-9a-f]+)'/.exec(second)![1];
  assert.notEqual(id1, id2, 'fresh stream id after the restart');
  assert.match(second, /<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'\/>/);
  assert.match(second, /<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional\/><\/session>/);
  assert.match(second, /<sm xmlns='urn:xmpp:sm:3'\/>/);
  raw.data = '';
  raw.write(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>forbidden</resource></bind></iq>`);
  assert.match(await raw.waitFor(/<\/iq>/), /type='error'.*<not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'\/>/);
  raw.data = '';
  raw.write(`<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>`);
  assert.match(await raw.waitFor(/<\/iq>/), /<jid>heidi@localhost\/r<\/jid>/);
  raw.data = '';
  const before = h.sm.received.length;
  raw.write(`<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`);
  assert.match(await raw.waitFor(/<iq [^>]*id='s1'/), /<iq type='result' id='s1'\/>/);
  assert.equal(h.sm.received.length, before, 'session IQ answered by the stream layer, not passed on');
  raw.write('</stream:stream>');
  await raw.waitFor(/<\/stream:stream>/);
  await raw.waitClosed();
});

test('SASL: three failures close the stream with not-authorized; unknown mechanism is refused', async () => {
  const raw = await RawClient.connect(h.ports.c2sPort);
  raw.write(STREAM_HEADER);
  await raw.waitFor(/<\/stream:features>/);
  raw.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-FOO'>=</auth>`);
  await raw.waitFor(/<invalid-mechanism\/>/);
  const bad = `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\0ivan\0nope').toString('base64')}</auth>`;
  raw.write(bad);
  await raw.waitFor(/<not-authorized\/><\/failure>/);
  raw.write(bad);
  await raw.waitFor(/<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
  await raw.waitClosed();
});

test('resource conflict kicks the old session with <conflict/>', async () => {
  const old = tcpClient('judy', 'sandbox', 'same');
  await old.start();
  old.reconnect.stop();
  const oldError = new Promise<string>((r) => old.on('error', (e: Error & { condition?: string }) => r(e.condition ?? e.message)));
  const oldSession = h.listeners.sessions().find((s) => s.jid?.full === 'judy@localhost/same')!;
  const fresh = tcpClient('judy', 'sandbox', 'same');
  await fresh.start();
  assert.equal(await oldError, 'conflict');
  assert.ok(h.sm.events.includes(`ended ${oldSession.id}`));
  // the new session works
  const echo = await fresh.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  assert.equal(echo.attrs.type, 'result');
  await fresh.stop();
});

test('ANONYMOUS is offered only when enabled', async () => {
  const h2 = await startHarness({ xmpp: { allowAnonymous: true } });
  try {
    const c = client({ service: `xmpp://127.0.0.1:${h2.ports.c2sPort}`, domain: 'localhost' });
    c.on('error', () => {});
    const j = await c.start();
    assert.match(j.toString(), /^anon-[0-9a-f]+@localhost\//);
    await c.stop();
  } finally {
    await h2.listeners.stop();
  }
});

test('raw PLAIN login helper binds (used by the bad-input tests)', async () => {
  const c = await rawLogin(h.ports.c2sPort, 'mallory', 'sandbox', 'raw');
  c.write(`<presence/>`);
  c.write('</stream:stream>');
  await c.waitClosed();
});
