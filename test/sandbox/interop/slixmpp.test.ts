// Interop with a second, independent client stack: slixmpp 1.8 (Debian python3-slixmpp),
// against the whole sandbox started in-process. xmpp.js tolerates some protocol slips that
// other clients do not; these tests talk to the sandbox the way slixmpp does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isBody, isMessageEvent, jsClient, slixClient, spawnSlix, startSandbox, xml, type InteropSandbox, type JsClient, type SlixProcess } from './slix-harness';

let s: InteropSandbox;
const procs: SlixProcess[] = [];
const js: JsClient[] = [];
before(async () => {
  s = await startSandbox();
});
after(async () => {
  for (const p of procs.splice(0)) await p.kill();
  for (const c of js.splice(0)) await c.stop();
  await s.stop();
});

async function slix(jid: string, opts: Parameters<typeof slixClient>[2] = {}) {
  const r = await slixClient(s, jid, opts);
  procs.push(r.p);
  return r;
}
async function js1(user: string, resource: string) {
  const c = await jsClient(s, user, resource);
  js.push(c);
  return c;
}

describe('slixmpp client (RFC 6120/6121)', () => {
  test('logs in over TCP with SCRAM-SHA-1, binds its resource, and exchanges non-ASCII messages with @xmpp/client', async () => {
    const { p: alice, online } = await slix('alice@localhost/slix');
    // slixmpp's own choice among the offered mechanisms (RFC 6120 §6.3.3); PLAIN would need unencrypted_plain.
    assert.equal(online.mech, 'SCRAM-SHA-1');
    assert.equal(online.jid, 'alice@localhost/slix', 'RFC 6120 §7: the server bound the requested resource');
    const bob = await js1('bob', 'js');
    const text = 'héllo wörld · привет · 你好 · 🐍 & <tags>';
    const r = await alice.cmd({ cmd: 'send', to: 'bob@localhost/js', body: text });
    assert.equal(r.ok, true);
    const m = await bob.next(isBody(text));
    assert.equal(m.attrs.from, 'alice@localhost/slix', 'from stamped to the full JID (RFC 6120 §8.1.2.1)');
    assert.equal(m.attrs.type, 'chat');

    const back = 'ответ ✓ from xmpp.js';
    await bob.c.send(xml('message', { to: 'alice@localhost/slix', type: 'chat' }, xml('body', {}, back)));
    const e = await alice.next(isMessageEvent(back));
    assert.equal(e.from, 'bob@localhost/js');
    assert.equal(e.to, 'alice@localhost/slix');
    assert.equal(e.delay, null, 'a live message has no <delay/>');
  });

  test('a bare-JID message goes to the priority-10 resource of two slixmpp resources (RFC 6121 §8.5.2.1.1)', async () => {
    const { p: hi } = await slix('worker@localhost/hi', { priority: 10 });
    const { p: lo } = await slix('worker@localhost/lo', { priority: 5 });
    const boss = await js1('boss', 'js');
    // The priority-5 presence must be processed before the message: wait until the server lists both.
    await waitFor(() => {
      const w = s.sandbox.xmpp.listSessions().find((x) => x.bareJid === 'worker@localhost');
      return !!w && w.resources.filter((r) => r.available).length === 2;
    });
    await boss.c.send(xml('message', { to: 'worker@localhost', type: 'chat' }, xml('body', {}, 'job-1')));
    const e = await hi.next(isMessageEvent('job-1'));
    assert.equal(e.from, 'boss@localhost/js');
    // Round-trip through lo's stream so a wrongly routed copy would have arrived by now.
    assert.equal((await lo.cmd({ cmd: 'ping', to: 'localhost' })).ok, true);
    assert.deepEqual(lo.events.filter((x) => x.event === 'message'), []);
    // The full JID still reaches the lower-priority resource.
    await boss.c.send(xml('message', { to: 'worker@localhost/lo', type: 'chat' }, xml('body', {}, 'direct')));
    await lo.next(isMessageEvent('direct'));
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

void spawnSlix;
