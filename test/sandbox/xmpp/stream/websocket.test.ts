// c2s over WebSocket (RFC 7395) with the real @xmpp/client (global WebSocket; the test
// runner passes --experimental-websocket on Node 20).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { client, xml, type Client } from '@xmpp/client';
import { startHarness, type Harness } from './harness';

let h: Harness;
const clients: Client[] = [];

before(async () => {
  h = await startHarness();
});
after(async () => {
  for (const c of clients) await c.stop().catch(() => {});
  await h.listeners.stop();
});

function wsClient(username: string, resource?: string, path = '/xmpp-websocket'): Client {
  const c = client({ service: `ws://127.0.0.1:${h.ports.wsPort}${path}`, domain: 'localhost', username, password: 'sandbox', resource });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

test('WebSocket login and a message exchange with a TCP client', async () => {
  const w = wsClient('wsuser', 'web');
  const t = client({ service: `xmpp://127.0.0.1:${h.ports.c2sPort}`, domain: 'localhost', username: 'tcpuser', password: 'sandbox', resource: 'tcp' });
  t.on('error', () => {});
  clients.push(t);
  assert.equal((await w.start()).toString(), 'wsuser@localhost/web');
  await t.start();
  const s = h.listeners.sessions().find((x) => x.jid?.full === 'wsuser@localhost/web')!;
  assert.equal(s.transport, 'websocket');
  assert.match(s.id, /^ws-\d+$/);

  const atTcp = new Promise<string>((r) => t.on('stanza', (st) => st.is('message') && r(st.getChildText('body') ?? '')));
  await w.send(xml('message', { to: 'tcpuser@localhost/tcp' }, xml('body', {}, 'from ws')));
  assert.equal(await atTcp, 'from ws');

  const atWs = new Promise<string>((r) => w.on('stanza', (st) => st.is('message') && r(`${st.attrs.xmlns}|${st.attrs.from}|${st.getChildText('body')}`)));
  await t.send(xml('message', { to: 'wsuser@localhost/web' }, xml('body', {}, 'from tcp')));
  assert.equal(await atWs, 'jabber:client|tcpuser@localhost/tcp|from tcp');
  await w.stop();
  await t.stop();
});

test('the server echoes the xmpp subprotocol', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${h.ports.wsPort}/xmpp-websocket`, ['xmpp']);
  await new Promise((res, rej) => {
    ws.onopen = res;
    ws.onerror = rej;
  });
  assert.equal(ws.protocol, 'xmpp');
  const frames: string[] = [];
  const got = new Promise<void>((r) => {
    ws.onmessage = (m) => {
      frames.push(String(m.data));
      if (frames.length === 2) r();
    };
  });
  ws.send(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="localhost" version="1.0"/>`);
  await got;
  assert.match(frames[0], /^<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='[0-9a-f]+' from='localhost' version='1.0'/);
  assert.match(frames[1], /^<stream:features xmlns:stream='http:\/\/etherx.jabber.org\/streams'>/);
  // one element per message: a stanza before auth gets a framed stream error then <close/>
  const rest = new Promise<void>((r) => {
    ws.onmessage = (m) => {
      frames.push(String(m.data));
      if (frames.length === 4) r();
    };
  });
  ws.send(`<message xmlns="jabber:client" to="x@localhost"><body>early</body></message>`);
  await rest;
  assert.match(frames[2], /^<stream:error xmlns:stream='http:\/\/etherx.jabber.org\/streams'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
  assert.equal(frames[3], `<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`);
  ws.close();
});

test('a wrong path gets HTTP 404', async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: h.ports.wsPort!, path: '/nope', headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Protocol': 'xmpp' } });
    req.on('response', (res) => resolve(res.statusCode ?? 0));
    req.on('upgrade', () => reject(new Error('upgraded on a wrong path')));
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 404);
  const w = wsClient('lost', undefined, '/elsewhere');
  await assert.rejects(w.start());
  await w.stop().catch(() => {});
});

test('WebSocket: connection dropped without <close/> → detached, @xmpp/client resumes', async () => {
  const w = wsClient('wsresume', 'r');
  await w.start();
  const deadline = Date.now() + 5000;
  while (!w.streamManagement.enabled && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const session = h.listeners.sessions().find((s) => s.jid?.full === 'wsresume@localhost/r')!;
  while (session.sm !== 'on' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(session.sm, 'on');
  const resumed = new Promise<void>((r) => w.streamManagement.on('resumed', () => r()));
  // The client's own WebSocket, closed at the WebSocket level (no XMPP <close/>).
  (w.socket as { socket: WebSocket }).socket.close();
  await resumed;
  assert.ok(h.sm.events.includes(`detached ${session.id}`));
  assert.ok(h.sm.events.includes(`resumed ${session.id}`));
  assert.equal(session.sm, 'on');
  assert.equal(session.transport, 'websocket');
  await w.stop();
});
