// Which web pages may use the c2s WebSocket (RFC 7395): the upgrade's Origin is checked before
// the handshake (RFC 6455 §10.2, §4.2.2), so a page the developer happens to visit cannot log in
// with the sandbox password. Real clients on 127.0.0.1: @xmpp/client (Node's WebSocket sends no
// Origin), ws (which sends the Origin a browser would) and raw HTTP upgrade requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import WebSocket from 'ws';
import { ConfigError, resolveConfig, type DeepPartial, type SandboxConfig } from '../../sandbox/config';
import { connect, isMessage, startServer, type TestServer, xml } from '../sandbox/xmpp/core/server-harness';

const WS_PATH = '/xmpp-websocket';
const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';

async function server(t: { after(fn: () => Promise<void>): void }, xmpp: DeepPartial<SandboxConfig['xmpp']> = {}): Promise<TestServer> {
  const s = await startServer({ xmpp });
  t.after(() => s.stop());
  return s;
}

/** A bare RFC 6455 upgrade request: the status the server answers, and its body when it refuses. */
function upgrade(port: number, origin?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Protocol': 'xmpp',
    };
    if (origin !== undefined) headers.Origin = origin;
    const req = http.request({ host: '127.0.0.1', port, path: WS_PATH, headers });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Logs in over RFC 7395 as a browser page of `origin` would (ws sends that Origin): open, SASL
 * PLAIN with the sandbox password, restart, bind. Resolves with the bound JID and the socket.
 */
async function pageLogin(port: number, origin: string, user: string): Promise<{ jid: string; ws: WebSocket; frames: string[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${WS_PATH}`, ['xmpp'], { origin });
  const frames: string[] = [];
  let wake: () => void = () => {};
  ws.on('message', (d) => {
    frames.push(String(d));
    wake();
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
    });
    ws.on('error', reject);
  });
  await opened;
  const next = async (re: RegExp): Promise<string> => {
    const deadline = Date.now() + 3000;
    for (;;) {
      const i = frames.findIndex((f) => re.test(f));
      if (i >= 0) return frames.splice(0, i + 1)[i]!;
      if (Date.now() > deadline) throw new Error(`no frame matching ${re}; got ${frames.join(' | ')}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 50);
      });
    }
  };
  const open = `<open xmlns='${FRAMING}' to='localhost' version='1.0'/>`;
  ws.send(open);
  await next(/<\/stream:features>/);
  ws.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0sandbox`).toString('base64')}</auth>`);
  await next(/^<success/);
  ws.send(open);
  await next(/<\/stream:features>/);
  ws.send(`<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>page</resource></bind></iq>`);
  const bound = await next(/<jid>/);
  const jid = /<jid>([^<]+)<\/jid>/.exec(bound)![1]!;
  // Available, so bare-JID messages reach it (RFC 6121 §4.2).
  ws.send(`<presence xmlns='jabber:client'/>`);
  return { jid, ws, frames };
}

/** The page's session is a real one: a message from a TCP client reaches it. */
async function assertReceives(s: TestServer, page: { jid: string; frames: string[] }, body: string): Promise<void> {
  const tcp = await connect(s, `sender-${randomBytes(3).toString('hex')}`, 'tcp');
  await tcp.c.send(xml('message', { to: page.jid, type: 'chat' }, xml('body', {}, body)));
  const deadline = Date.now() + 3000;
  while (!page.frames.some((f) => f.includes(`<body>${body}</body>`))) {
    if (Date.now() > deadline) throw new Error(`${page.jid} did not receive '${body}'; frames: ${page.frames.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const wsSessionsConnected = (s: TestServer) => s.logs.filter((l) => /\bws-\d+: connected from/.test(l)).length;

test('no Origin (not a browser): 101, and @xmpp/client logs in and chats over the WebSocket', async (t) => {
  const s = await server(t);
  assert.equal((await upgrade(s.ports.wsPort!)).status, 101);
  // The same handshake with a foreign page's Origin is what is refused.
  assert.equal((await upgrade(s.ports.wsPort!, 'http://evil.example')).status, 403);
  const web = await connect(s, 'nodeclient', 'ws', { ws: true });
  assert.equal(web.jid, 'nodeclient@localhost/ws');
  const tcp = await connect(s, 'peer', 'tcp');
  await tcp.c.send(xml('message', { to: web.jid, type: 'chat' }, xml('body', {}, 'hello over ws')));
  await web.next(isMessage('hello over ws'));
});

test('local pages (localhost, 127.0.0.1, [::1]; http or https; any port) and VS Code webviews may connect', async (t) => {
  const s = await server(t);
  for (const origin of ['http://localhost:3000', 'https://localhost', 'HTTP://LocalHost:8080', 'http://127.0.0.1:5173', 'https://127.0.0.1:8443', 'http://[::1]:4200', 'vscode-webview://1c3jf0q8cjvmmplpd5tr9u4s0fus1qnvrk9bm37g5ka6qlpbpg0t']) {
    assert.equal((await upgrade(s.ports.wsPort!, origin)).status, 101, origin);
  }
  const page = await pageLogin(s.ports.wsPort!, 'http://localhost:5173', 'localpage');
  t.after(() => page.ws.terminate());
  assert.equal(page.jid, 'localpage@localhost/page');
  await assertReceives(s, page, 'to the local page');
  // Look-alikes of a local host are other sites.
  for (const origin of ['http://localhost.evil.example', 'http://127.0.0.1.evil.example:3000', 'http://evil.example', 'file://localhost', 'null']) {
    assert.equal((await upgrade(s.ports.wsPort!, origin)).status, 403, origin);
  }
});

test('another origin gets 403 before the upgrade: no session, and a log line naming the flag and the setting', async (t) => {
  const s = await server(t);
  const refused = await upgrade(s.ports.wsPort!, 'http://evil.example');
  assert.equal(refused.status, 403);
  assert.match(refused.body, /origin not allowed/);
  // What the attack did before: a browser page of that origin logging in with the default password.
  await assert.rejects(pageLogin(s.ports.wsPort!, 'http://evil.example', 'victim'), /upgrade refused: HTTP 403/);
  assert.equal(wsSessionsConnected(s), 0, 'no C2sConnection was made');
  assert.deepEqual(s.server.listSessions(), []);
  const warnings = s.logs.filter((l) => l.startsWith('warn ') && l.includes('http://evil.example'));
  assert.equal(warnings.length, 1, `one warning for the origin, however often it retries: ${warnings.join('\n')}`);
  assert.match(warnings[0]!, /refused with HTTP 403/);
  assert.match(warnings[0]!, /--allow-origin http:\/\/evil\.example/);
  assert.match(warnings[0]!, /xmppSandbox\.allowedOrigins/);
  // The refusal leaves the listener working for allowed clients.
  const page = await pageLogin(s.ports.wsPort!, 'http://localhost:3000', 'after');
  t.after(() => page.ws.terminate());
  assert.equal(page.jid, 'after@localhost/page');
});

test("xmpp.allowedOrigins lets a listed page in (normalized: case, default port; 'null' for file:// pages), and no other", async (t) => {
  const s = await server(t, { allowedOrigins: ['https://App.Example:443', 'http://app.example:3000', 'null'] });
  for (const origin of ['https://app.example', 'http://app.example:3000', 'HTTP://APP.EXAMPLE:3000', 'null']) {
    assert.equal((await upgrade(s.ports.wsPort!, origin)).status, 101, origin);
  }
  for (const origin of ['http://app.example', 'http://app.example:3001', 'https://app.example:3000', 'https://evil.app.example']) {
    assert.equal((await upgrade(s.ports.wsPort!, origin)).status, 403, origin);
  }
  const page = await pageLogin(s.ports.wsPort!, 'http://app.example:3000', 'listed');
  t.after(() => page.ws.terminate());
  await assertReceives(s, page, 'to the listed page');
});

test("'*' allows every page, only when listed explicitly", async (t) => {
  const plain = await server(t, { allowedOrigins: ['http://app.example:3000'] });
  for (const origin of ['http://evil.example', 'null']) assert.equal((await upgrade(plain.ports.wsPort!, origin)).status, 403, `${origin} without '*'`);
  const s = await server(t, { allowedOrigins: ['*'] });
  for (const origin of ['http://evil.example', 'null', 'https://anything.example:8443']) {
    assert.equal((await upgrade(s.ports.wsPort!, origin)).status, 101, origin);
  }
  const page = await pageLogin(s.ports.wsPort!, 'http://evil.example', 'anyone');
  t.after(() => page.ws.terminate());
  await assertReceives(s, page, 'to any page');
  assert.equal(s.logs.filter((l) => /WebSocket upgrade .* refused/.test(l)).length, 0);
});

test('xmpp.allowedOrigins is validated: origins only, named in the error', () => {
  for (const bad of ['app.example', 'http://app.example/path', 'http://user@app.example', 'http://', '', 42]) {
    assert.throws(() => resolveConfig({ xmpp: { allowedOrigins: [bad as string] } }), (e: Error) => e instanceof ConfigError && /xmpp\.allowedOrigins/.test(e.message), String(bad));
  }
  assert.throws(() => resolveConfig({ xmpp: { allowedOrigins: 'http://app.example' as unknown as string[] } }), ConfigError);
  assert.deepEqual(resolveConfig({ xmpp: { allowedOrigins: ['*', 'null', 'http://app.example:3000/', 'vscode-webview://abc'] } }).xmpp.allowedOrigins.length, 4);
  assert.deepEqual(resolveConfig({}).xmpp.allowedOrigins, [], 'none beyond the local ones by default');
});
