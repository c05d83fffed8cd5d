// Bad input on one stream gets a stream error (RFC 6120 §4.9, §11.1), is logged, closes
// only that stream: two clients connected beforehand still exchange a stanza afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, xml, type Client } from '@xmpp/client';
import { RawClient, rawLogin, STREAM_HEADER, startHarness, type Harness } from './harness';

let h: Harness;
let alice: Client;
let bob: Client;
let n = 0;

before(async () => {
  h = await startHarness({ xmpp: { maxStanzaBytes: 4096 } });
  alice = client({ service: `xmpp://127.0.0.1:${h.ports.c2sPort}`, domain: 'localhost', username: 'alice', password: 'sandbox', resource: 'a' });
  bob = client({ service: `ws://127.0.0.1:${h.ports.wsPort}/xmpp-websocket`, domain: 'localhost', username: 'bob', password: 'sandbox', resource: 'b' });
  alice.on('error', () => {});
  bob.on('error', () => {});
  await alice.start();
  await bob.start();
});
after(async () => {
  await alice.stop().catch(() => {});
  await bob.stop().catch(() => {});
  await h.listeners.stop();
});

/** The bystanders still talk: alice (TCP) → bob (WebSocket). */
async function othersStillWork(): Promise<void> {
  const body = `still alive ${++n}`;
  const got = new Promise<void>((resolve) => {
    const on = (s: { is(n: string): boolean; getChildText(n: string): string | null }): void => {
      if (s.is('message') && s.getChildText('body') === body) {
        bob.off('stanza', on);
        resolve();
      }
    };
    bob.on('stanza', on);
  });
  await alice.send(xml('message', { to: 'bob@localhost/b' }, xml('body', {}, body)));
  await got;
}

async function expectStreamError(c: RawClient, condition: string): Promise<void> {
  const out = await c.waitFor(new RegExp(`</stream:stream>`));
  assert.match(out, new RegExp(`<stream:error><${condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>`));
  await c.waitClosed();
  assert.ok(h.warnings.some((w) => w.includes(`<${condition}/>`)), `logged: ${h.warnings.join('\n')}`);
}

const PRE_AUTH: [string, string, string][] = [
  ['DOCTYPE', `<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY boom "x">]>`, 'restricted-xml'],
  ['comment', `<!-- hi -->`, 'restricted-xml'],
  ['processing instruction', `<?xml-stylesheet href='x'?>`, 'restricted-xml'],
  ['entity declaration', `<!ENTITY lol "lol">`, 'restricted-xml'],
  ['undeclared entity', `<message><body>&lol;</body></message>`, 'not-well-formed'],
  ['mismatched tags', `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'></response>`, 'not-well-formed'],
  ['a message before auth', `<message to='bob@localhost/b'><body>sneaky</body></message>`, 'not-authorized'],
];

for (const [what, input, condition] of PRE_AUTH) {
  test(`${what} → <${condition}/>, others unaffected`, async () => {
    const c = await RawClient.connect(h.ports.c2sPort);
    // A DOCTYPE comes before the header; everything else after it.
    c.write(what === 'DOCTYPE' ? input + STREAM_HEADER : STREAM_HEADER + input);
    await expectStreamError(c, condition);
    if (condition === 'not-authorized') assert.ok(!h.sm.received.some((r) => r.stanza.getChildText('body') === 'sneaky'));
    await othersStillWork();
  });
}

test('oversized stanza → <policy-violation/>, others unaffected', async () => {
  const c = await rawLogin(h.ports.c2sPort, 'big', 'sandbox', 'r');
  c.write(`<message to='bob@localhost/b'><body>${'x'.repeat(3000)}</body></message>`); // under the limit: delivered
  c.write(`<message to='bob@localhost/b'><body>`);
  for (let i = 0; i < 10 && !c.closed; i++) {
    c.write('y'.repeat(1000));
    await new Promise((r) => setTimeout(r, 5));
  }
  await expectStreamError(c, 'policy-violation');
  await othersStillWork();
});

test('a comment inside a bound session → <restricted-xml/>', async () => {
  const c = await rawLogin(h.ports.c2sPort, 'mid', 'sandbox', 'r');
  c.write(`<message to='bob@localhost/b'><!-- x --><body>no</body></message>`);
  await expectStreamError(c, 'restricted-xml');
  await othersStillWork();
});

test('a stanza after auth but before bind → <not-authorized/>', async () => {
  const c = await RawClient.connect(h.ports.c2sPort);
  c.write(STREAM_HEADER);
  await c.waitFor(/<\/stream:features>/);
  c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\0unbound\0sandbox').toString('base64')}</auth>`);
  await c.waitFor(/<success/);
  c.write(STREAM_HEADER);
  await c.waitFor(/<bind /);
  c.write(`<message to='bob@localhost/b'><body>unbound</body></message>`);
  await expectStreamError(c, 'not-authorized');
  await othersStillWork();
});

test('wrong stream namespace and host → invalid-namespace / host-unknown', async () => {
  const c = await RawClient.connect(h.ports.c2sPort);
  c.write(`<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`);
  await expectStreamError(c, 'invalid-namespace');
  const d = await RawClient.connect(h.ports.c2sPort);
  d.write(STREAM_HEADER.replace("to='localhost'", "to='example.org'"));
  await expectStreamError(d, 'host-unknown');
  await othersStillWork();
});

test('WebSocket: restricted XML in a frame → framed stream error and <close/>', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${h.ports.wsPort}/xmpp-websocket`, ['xmpp']);
  const frames: string[] = [];
  const closed = new Promise<void>((r) => (ws.onclose = () => r()));
  ws.onmessage = (m) => frames.push(String(m.data));
  await new Promise((r) => (ws.onopen = r));
  ws.send(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="localhost" version="1.0"/>`);
  ws.send(`<!DOCTYPE x>`);
  await closed;
  assert.ok(frames.some((f) => /^<stream:error xmlns:stream='http:\/\/etherx.jabber.org\/streams'><restricted-xml /.test(f)), frames.join('\n'));
  assert.equal(frames.at(-1), `<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`);
  await othersStillWork();
});

test('a peer that stops reading is cut off with <resource-constraint/>, others unaffected', async () => {
  const slow = await rawLogin(h.ports.c2sPort, 'slow', 'sandbox', 'r');
  const flood = await rawLogin(h.ports.c2sPort, 'flood', 'sandbox', 'r');
  slow.socket.pause();
  const session = h.listeners.sessions().find((s) => s.jid?.full === 'slow@localhost/r')!;
  const msg = `<message to='slow@localhost/r'><body>${'z'.repeat(900)}</body></message>`.repeat(100);
  // ~40 MB towards a reader that reads nothing; the limit is 16 MB of unsent data.
  for (let i = 0; i < 400 && !h.sm.events.includes(`ended ${session.id}`); i++) {
    if (!flood.socket.write(msg)) await new Promise((r) => flood.socket.once('drain', r));
  }
  const deadline = Date.now() + 10_000;
  while (!h.sm.events.includes(`ended ${session.id}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(h.sm.events.includes(`ended ${session.id}`), 'slow session ended');
  assert.ok(h.warnings.some((w) => w.includes('not reading') && w.includes('<resource-constraint/>')));
  // RFC 6120 §4.9.3.17: the unsent backlog was dropped, so the stream error is next on the wire
  // after what the OS already holds. A peer that reads again, even slowly (about 1 MB/s here),
  // gets it and then the close tag. Before, it sat behind 16 MB that the server destroyed after
  // its 1 s close grace period.
  slow.socket.on('data', () => {
    slow.socket.pause();
    setTimeout(() => slow.socket.resume(), 60);
  });
  slow.socket.resume();
  await slow.waitClosed(60_000);
  assert.match(
    slow.data.slice(-400),
    /<\/message><stream:error><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>peer is not reading[^<]*<\/text><\/stream:error><\/stream:stream>$/,
  );
  slow.destroy();
  flood.destroy();
  await othersStillWork();
});
