// The plugins in a real sandbox: its own (xmpp-sandbox's startSandbox with this project's
// dist/plugins as the plugin folder), or, with XMPP_SERVICE set, a sandbox you started with
// `npm start` (the plugins only run inside the sandbox). Real clients, real routing.

import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { client, xml, type Client, type Element } from '@xmpp/client';
import { startSandbox, type RunningSandbox } from 'xmpp-sandbox';
import { NS } from '../plugins/who-is-on.js';
import blockWords from '../plugins/block-words.js';
import quiet from '../plugins/quiet-when-dnd.js';

const env = process.env;
let sandbox: RunningSandbox | null = null;
let service: string;
let domain: string;
let password: string;
const clients: Client[] = [];

before(async () => {
  if (env.XMPP_SERVICE) {
    service = env.XMPP_SERVICE;
    domain = env.XMPP_DOMAIN || 'localhost';
    password = env.TEST_XMPP_PASSWORD || 'sandbox';
    return;
  }
  sandbox = await startSandbox({ config: { xmpp: { pluginDir: fileURLToPath(new URL('../plugins', import.meta.url)) } } });
  ({ c2s: service, domain, password } = sandbox.endpoints);
});
after(async () => {
  for (const c of clients) {
    c.reconnect.stop();
    await c.stop().catch(() => undefined);
  }
  await sandbox?.stop();
});

interface Peer {
  xmpp: Client;
  jid: string;
  received: Element[];
  until(pred: (s: Element) => boolean, what: string): Promise<Element>;
}

async function peer(username: string, resource: string, show?: string): Promise<Peer> {
  const xmpp = client({ service, domain, username, password, resource });
  xmpp.on('error', () => {});
  clients.push(xmpp);
  const received: Element[] = [];
  xmpp.on('stanza', (s: Element) => received.push(s));
  const jid = (await xmpp.start()).toString();
  await xmpp.send(xml('presence', {}, show ? xml('show', {}, show) : undefined));
  return {
    xmpp,
    jid,
    received,
    async until(pred, what) {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const hit = received.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received: ${received.map(String).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

const user = (n: string) => `${env.TEST_XMPP_USERNAME || 'plugin-test'}${n}`;
const body = (text: string) => (s: Element) => s.name === 'message' && s.getChildText('body') === text;

test('the plugin modules have the shape the sandbox loads', () => {
  assert.equal(blockWords.id, 'block-words');
  assert.equal(typeof blockWords.preProcess, 'function');
  assert.equal(typeof quiet.filter, 'function');
});

test('block-words: a message with a blocked word is not delivered and the sender gets policy-violation; others pass', async () => {
  const alice = await peer(user('-a'), 'r1');
  const bob = await peer(user('-b'), 'r1');
  await alice.xmpp.send(xml('message', { to: bob.jid, type: 'chat', id: 'm1' }, xml('body', {}, 'buy cheap SPAM now')));
  await alice.xmpp.send(xml('message', { to: bob.jid, type: 'chat', id: 'm2' }, xml('body', {}, 'hello')));
  await bob.until(body('hello'), 'the clean message');
  const err = await alice.until((s) => s.name === 'message' && s.attrs.type === 'error' && s.attrs.id === 'm1', 'the error bounce');
  assert.ok(err.getChild('error')?.getChild('policy-violation', 'urn:ietf:params:xml:ns:xmpp-stanzas'), err.toString());
  assert.equal(bob.received.filter(body('buy cheap SPAM now')).length, 0, 'the blocked message was not delivered');
});

test('who-is-on: our own IQ is answered with the sender’s available resources', async () => {
  const me = await peer(user('-c'), 'desk', 'away');
  await peer(user('-c'), 'phone');
  const res = await me.xmpp.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: NS })));
  const rs = res.getChild('query', NS)!.getChildren('resource').map((r) => `${r.attrs.jid} ${r.attrs.show}`).sort();
  assert.deepEqual(rs, [`${user('-c')}@${domain}/desk away`, `${user('-c')}@${domain}/phone online`]);
});

test('quiet-when-dnd: a headline reaches the online resource and not the dnd one', async () => {
  const sender = await peer(user('-d'), 'r1');
  const busy = await peer(user('-e'), 'busy', 'dnd');
  const free = await peer(user('-e'), 'free');
  await new Promise((r) => setTimeout(r, 100));
  await sender.xmpp.send(xml('message', { to: `${user('-e')}@${domain}`, type: 'headline' }, xml('body', {}, 'news')));
  await free.until(body('news'), 'the headline on the online resource');
  await sender.xmpp.send(xml('message', { to: busy.jid, type: 'chat' }, xml('body', {}, 'after')));
  await busy.until(body('after'), 'a chat message sent after the headline');
  assert.equal(busy.received.filter(body('news')).length, 0, 'the dnd resource got no headline');
});
