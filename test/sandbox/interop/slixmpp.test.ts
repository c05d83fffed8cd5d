// Interop with a second, independent client stack: slixmpp 1.8 (Debian python3-slixmpp, run by
// /usr/bin/python3), against the whole sandbox started in-process. xmpp.js tolerates some
// protocol slips that other clients do not; these tests talk to the sandbox the way slixmpp does.
// The python side is fixtures/slix_client.py and fixtures/slix_component.py (JSON lines on
// stdin/stdout; SLIX_DEBUG=1 puts slixmpp's wire log on their stderr).
//   node scripts/test.mjs test/sandbox/interop
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isBody, isMessageEvent, jsClient, requireSlixmpp, slixClient, spawnSlix, startSandbox, xml, type InteropSandbox, type JsClient, type SlixProcess } from './slix-harness';

let s: InteropSandbox;
const procs: SlixProcess[] = [];
const js: JsClient[] = [];
before(async () => {
  requireSlixmpp();
  s = await startSandbox();
});
after(async () => {
  for (const p of procs.splice(0)) await p.kill();
  for (const c of js.splice(0)) await c.stop();
  await s?.stop();
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

describe('authentication, binding and stream errors as slixmpp sees them', () => {
  test('SASL PLAIN (with unencrypted_plain=True) works too', async () => {
    const { online } = await slix('plainer@localhost/p', { plain: true });
    assert.equal(online.mech, 'PLAIN');
    assert.equal(online.jid, 'plainer@localhost/p');
  });

  test('a wrong password: <failure><not-authorized/></failure> (RFC 6120 §6.5.10) and slixmpp gives up', async () => {
    const p = spawnSlix('slix_client.py', ['--jid', 'badpw@localhost/x', '--password', 'wrong', '--port', String(s.c2sPort)]);
    procs.push(p);
    const failed = await p.next((e) => e.event === 'failed_auth' || e.event === 'online');
    assert.equal(failed.event, 'failed_auth');
    assert.match(String(failed.xml), /<not-authorized/);
    // It does not fall back to PLAIN over plain TCP, so that was its last try.
    assert.deepEqual(await p.next((e) => e.event === 'error' || e.event === 'online'), { event: 'error', message: 'authentication failed' });
  });

  test('no resource requested: the server generates one (RFC 6120 §7.6.1)', async () => {
    const p = spawnSlix('slix_client.py', ['--jid', 'nores@localhost', '--password', s.password, '--port', String(s.c2sPort)]);
    procs.push(p);
    const online = await p.next((e) => e.event === 'online' || e.event === 'error');
    assert.match(String(online.jid), /^nores@localhost\/.+/);
  });

  test('a resourcepart with \' " < > & and non-ASCII (allowed by RFC 7622 §3.4) is escaped correctly both ways', async () => {
    const resource = `o'rly "q" <x> & ü ☃`;
    const { p, online } = await slix(`weird@localhost/${resource}`);
    assert.equal(online.jid, `weird@localhost/${resource}`);
    const j = await js1('weirdpeer', 'js');
    await p.cmd({ cmd: 'send', to: 'weirdpeer@localhost/js', body: 'from weird' });
    assert.equal((await j.next(isBody('from weird'))).attrs.from, `weird@localhost/${resource}`);
    await j.c.send(xml('message', { to: `weird@localhost/${resource}`, type: 'chat' }, xml('body', {}, 'to weird')));
    assert.equal((await p.next(isMessageEvent('to weird'))).to, `weird@localhost/${resource}`);
  });

  test('the same full JID logging in again: the old stream gets <conflict/> (RFC 6120 §7.7.2.2), the new one works', async () => {
    const { p: first } = await slix('dup@localhost/same');
    const { p: second } = await slix('dup@localhost/same');
    const e = await first.next((x) => x.event === 'stream_error' || x.event === 'disconnected');
    assert.equal(e.event, 'stream_error');
    assert.match(String(e.xml), /<conflict /);
    assert.equal((await second.cmd({ cmd: 'ping', to: 'localhost' })).ok, true);
  });

  test("two resources of one user see each other's presence, and the unavailable one (RFC 6121 §4.2.2, §4.5.2)", async () => {
    const { p: one } = await slix('multi@localhost/one', { priority: 1 });
    const { p: two } = await slix('multi@localhost/two', { priority: 2 });
    const seen = await one.next((e) => e.event === 'presence' && e.from === 'multi@localhost/two' && e.type === 'available');
    assert.equal(seen.priority, 2);
    await two.next((e) => e.event === 'presence' && e.from === 'multi@localhost/one' && e.type === 'available');
    await two.cmd({ cmd: 'quit' });
    await one.next((e) => e.event === 'presence' && e.from === 'multi@localhost/two' && e.type === 'unavailable');
  });
});

describe('namespaces survive the server (XML Namespaces 1.0; RFC 6120 §4.8)', () => {
  test('extension payloads, prefixes and xml:lang reach slixmpp and @xmpp/client as sent', async () => {
    const { p: a } = await slix('nsa@localhost/a');
    const { p: b } = await slix('nsb@localhost/b');
    const j = await js1('nsj', 'js');
    const payload = (to: string, body: string) =>
      `<message to='${to}' type='chat' xml:lang='de'><body>${body}</body>` +
      `<foo:bar xmlns:foo='urn:example:foo' foo:attr='v'><foo:baz>1</foo:baz><plain/></foo:bar>` +
      `<request xmlns='urn:xmpp:receipts'/><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>hi</p></body></html></message>`;
    await a.cmd({ cmd: 'raw', data: payload('nsb@localhost/b', 'ns-1') });
    const m = await b.next(isMessageEvent('ns-1'));
    assert.deepEqual(m.tags, [
      '{jabber:client}body',
      '{urn:example:foo}bar',
      '{urn:example:foo}baz',
      '{jabber:client}plain', // unprefixed, so in the default namespace
      '{urn:xmpp:receipts}request',
      '{http://jabber.org/protocol/xhtml-im}html',
      '{http://www.w3.org/1999/xhtml}body',
      '{http://www.w3.org/1999/xhtml}p',
    ]);
    assert.equal(m.lang, 'de', 'xml:lang kept (RFC 6120 §8.1.5)');
    await a.cmd({ cmd: 'raw', data: payload('nsj@localhost/js', 'ns-2') });
    const e = await j.next(isBody('ns-2'));
    assert.equal(e.getChild('request', 'urn:xmpp:receipts')?.name, 'request');
    assert.equal(e.getChild('bar', 'urn:example:foo')?.getChildText('baz'), '1', 'ltx resolves the foo: prefix');
    // @xmpp/client → slixmpp with a prefixed payload.
    await j.c.send(xml('message', { to: 'nsb@localhost/b', type: 'chat' }, xml('body', {}, 'ns-3'), xml('q:x', { 'xmlns:q': 'urn:example:q' }, xml('q:y', {}))));
    assert.deepEqual((await b.next(isMessageEvent('ns-3'))).tags, ['{jabber:client}body', '{urn:example:q}x', '{urn:example:q}y']);
  });
});

describe('IQs between the two stacks (RFC 6120 §8.2.3, §10.5.3)', () => {
  test('@xmpp/client asks slixmpp (disco#info, version, ping) and slixmpp asks @xmpp/client; errors come back as errors', async () => {
    const { p } = await slix('iqslix@localhost/slix');
    const c = await js1('iqjs', 'js');
    const ask = (payload: ReturnType<typeof xml>) => c.c.iqCaller.request(xml('iq', { type: 'get', to: 'iqslix@localhost/slix' }, payload));
    const info = (await ask(xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }))).getChild('query')!;
    assert.ok(info.getChildren('feature').some((f) => f.attrs.var === 'urn:xmpp:ping'), info.toString());
    const ver = (await ask(xml('query', { xmlns: 'jabber:iq:version' }))).getChild('query')!;
    assert.equal(ver.getChildText('name'), 'Slixmpp');
    const pong = await c.c.iqCaller.request(xml('iq', { type: 'get', to: 'iqslix@localhost/slix' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(pong.attrs.from, 'iqslix@localhost/slix');
    // The other way: xmpp.js answers ping itself and version with service-unavailable (docs/interop.md §1.8).
    assert.equal((await p.cmd({ cmd: 'ping', to: 'iqjs@localhost/js' })).ok, true);
    const v = await p.cmd({ cmd: 'version', to: 'iqjs@localhost/js' });
    assert.deepEqual([v.ok, v.error], [false, 'service-unavailable']);
    // To the bare JID the server answers on the account's behalf (RFC 6120 §10.5.4).
    assert.equal((await p.cmd({ cmd: 'ping', to: 'iqjs@localhost' })).ok, true);
    // A resource that is not connected: service-unavailable (RFC 6120 §10.5.3.2).
    const gone = await p.cmd({ cmd: 'version', to: 'iqjs@localhost/nobody' });
    assert.deepEqual([gone.ok, gone.error], [false, 'service-unavailable']);
  });

  test("whitespace between stanzas (slixmpp's keepalive, RFC 6120 §4.6.1) is accepted", async () => {
    const { p } = await slix('spacer@localhost/slix');
    assert.equal((await p.cmd({ cmd: 'raw', data: ' \n\t ' })).ok, true);
    assert.equal((await p.cmd({ cmd: 'ping', to: 'localhost' })).ok, true, 'the stream is still up');
    assert.deepEqual(p.events.filter((e) => e.event === 'stream_error' || e.event === 'disconnected'), []);
  });
});

describe('server IQs from slixmpp plugins', () => {
  let p: SlixProcess;
  before(async () => {
    p = (await slix('iqs@localhost/slix')).p;
  });

  test('XEP-0199 ping of the server gets a result', async () => {
    const r = await p.cmd({ cmd: 'ping', to: 'localhost' });
    assert.equal(r.ok, true, JSON.stringify(r));
  });

  test('XEP-0030 disco#info of the server: identity server/im and the features slixmpp will look for', async () => {
    const r = await p.cmd({ cmd: 'disco_info', to: 'localhost' });
    assert.equal(r.ok, true, JSON.stringify(r));
    const identities = r.identities as string[][];
    assert.ok(identities.some(([category, type]) => category === 'server' && type === 'im'), JSON.stringify(identities));
    const features = r.features as string[];
    for (const f of ['http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items', 'urn:xmpp:ping', 'jabber:iq:version']) {
      assert.ok(features.includes(f), `${f} in ${JSON.stringify(features)}`);
    }
  });

  test('XEP-0030 disco#items of the server lists the configured components', async () => {
    const r = await p.cmd({ cmd: 'disco_items', to: 'localhost' });
    assert.equal(r.ok, true, JSON.stringify(r));
    const jids = (r.items as string[][]).map(([jid]) => jid);
    assert.ok(jids.includes('component.localhost'), JSON.stringify(jids));
  });

  test('XEP-0092 version of the server', async () => {
    const r = await p.cmd({ cmd: 'version', to: 'localhost' });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.name, 'sandbox');
    assert.match(String(r.version), /^\d+\.\d+/);
  });

  test("RFC 6121 §2.1.3 roster get (slixmpp's get_roster, the first thing its example bots await) → an empty roster", async () => {
    // Before the fix (sandbox/xmpp/plugins/roster.ts) this was service-unavailable: the IqError
    // aborted a slixmpp bot's session_start handler.
    const r = await p.cmd({ cmd: 'roster' });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.type, 'result');
    assert.deepEqual(r.items, []);
  });

  test('disco#info of a node nobody claims is an IQ error slixmpp reads as item-not-found (RFC 6120 §8.3)', async () => {
    // XEP-0030 §3.1 error case.
    const r = await p.cmd({ cmd: 'disco_info', to: 'localhost', node: 'no-such-node' });
    assert.equal(r.ok, false);
    assert.equal(r.error, 'item-not-found');
  });
});

describe('XEP-0198 stream management enabled by slixmpp', () => {
  test('slixmpp enables SM with resume, messages flow both ways and are acked', async () => {
    const { p: sm, online } = await slix('smuser@localhost/slix', { sm: true });
    const enabled = await sm.next((e) => e.event === 'sm_enabled');
    assert.ok(enabled.id, 'the server gives a resumption id (XEP-0198 §5)');
    assert.equal(online.jid, 'smuser@localhost/slix');
    const peer = await js1('smpeer', 'js');
    for (let i = 0; i < 5; i++) await peer.c.send(xml('message', { to: 'smuser@localhost/slix', type: 'chat' }, xml('body', {}, `in-${i}`)));
    for (let i = 0; i < 5; i++) await sm.next(isMessageEvent(`in-${i}`));
    for (let i = 0; i < 5; i++) await sm.cmd({ cmd: 'send', to: 'smpeer@localhost/js', body: `out-${i}` });
    for (let i = 0; i < 5; i++) await peer.next(isBody(`out-${i}`));
    const acked = await sm.cmd({ cmd: 'ack' });
    assert.equal(acked.ok, true, JSON.stringify(acked));
    assert.equal(acked.unacked, 0, 'the server acked every stanza slixmpp sent (XEP-0198 §4)');
    assert.equal(acked.last_ack, acked.seq_out, "the server's h equals slixmpp's count of sent stanzas");
  });

  test('after the socket is cut, slixmpp resumes the session and gets what was sent meanwhile', async () => {
    const { p: sm } = await slix('resumer@localhost/slix', { sm: true });
    await sm.next((e) => e.event === 'sm_enabled');
    const peer = await js1('resumepeer', 'js');
    await peer.c.send(xml('message', { to: 'resumer@localhost/slix', type: 'chat' }, xml('body', {}, 'before')));
    await sm.next(isMessageEvent('before'));
    assert.equal((await sm.cmd({ cmd: 'cut' })).ok, true);
    await sm.next((e) => e.event === 'disconnected');
    // While slixmpp reconnects, the server keeps the session (smResumeTimeoutSec) and queues.
    await peer.c.send(xml('message', { to: 'resumer@localhost/slix', type: 'chat' }, xml('body', {}, 'while cut')));
    await sm.next((e) => e.event === 'resumed', 10_000);
    const m = await sm.next(isMessageEvent('while cut'), 10_000);
    assert.equal(m.from, 'resumepeer@localhost/js');
    await sm.cmd({ cmd: 'send', to: 'resumepeer@localhost/js', body: 'after resume' });
    await peer.next(isBody('after resume'));
    // <resume h=…/> told the server what slixmpp had handled: nothing is delivered twice (XEP-0198 §5).
    assert.equal((await sm.cmd({ cmd: 'ping', to: 'localhost' })).ok, true);
    assert.deepEqual(sm.events.filter((e) => e.event === 'message'), [], 'no duplicate of "before" or "while cut"');
  });

  test("stanzas slixmpp sent just before the cut: the server's <resumed h=…/> counts all of them, each delivered once", async () => {
    const { p: sm } = await slix('burster@localhost/slix', { sm: true });
    await sm.next((e) => e.event === 'sm_enabled');
    const peer = await js1('burstpeer', 'js');
    const got: string[] = [];
    peer.c.on('stanza', (st) => {
      if (st.is('message') && st.getChildText('body')?.startsWith('burst-')) got.push(st.getChildText('body')!);
    });
    // 30 messages, written out (0.2 s), then the socket is aborted before slixmpp asked for an ack.
    assert.equal((await sm.cmd({ cmd: 'burst_cut', to: 'burstpeer@localhost/js', n: 30, prefix: 'burst', delay: 0.2 })).ok, true);
    await sm.next((e) => e.event === 'resumed', 10_000);
    const acked = await sm.cmd({ cmd: 'ack' });
    // Quirk of slixmpp 1.8 (plugins/xep_0198/stream_management.py, _handle_outgoing): sending
    // <resume/> clears its own unacked queue, so it logs "Inconsistent sequence numbers from the
    // server" on every <resumed h=…/> that acks anything, and could not re-send a lost stanza.
    // That log line is slixmpp's, not a server error: it then adopts the server's h, which must
    // equal what slixmpp sent (initial presence + 30 messages), XEP-0198 §5.
    assert.equal(acked.last_ack, acked.seq_out, `server h ${acked.last_ack} = stanzas slixmpp sent ${acked.seq_out}`);
    assert.equal(acked.seq_out, 31);
    await peer.next(isBody('burst-29'));
    assert.equal((await sm.cmd({ cmd: 'send', to: 'burstpeer@localhost/js', body: 'burst-end' })).ok, true);
    await peer.next(isBody('burst-end'));
    assert.deepEqual(got.filter((b) => b !== 'burst-end'), Array.from({ length: 30 }, (_, i) => `burst-${i}`), 'each once, in order');
  });
});

describe('XEP-0198 resumption window expired (smResumeTimeoutSec 1)', () => {
  let short: InteropSandbox;
  before(async () => {
    short = await startSandbox({ smResumeTimeoutSec: 1 });
  });
  after(() => short?.stop());

  test('<failed><item-not-found/></failed>, slixmpp binds anew and gets the stanzas of the dead session from offline storage with <delay/>', async () => {
    const { p } = await slixClient(short, 'late@localhost/slix', { sm: true });
    procs.push(p);
    await p.next((e) => e.event === 'sm_enabled');
    const peer = await jsClient(short, 'latepeer', 'js');
    js.push(peer);
    await p.cmd({ cmd: 'cut', after: null });
    await p.next((e) => e.event === 'disconnected');
    await peer.c.send(xml('message', { to: 'late@localhost/slix', type: 'chat' }, xml('body', {}, 'to the full JID in the window')));
    await peer.c.send(xml('message', { to: 'late@localhost', type: 'chat' }, xml('body', {}, 'to the bare JID in the window')));
    // The window ends: XEP-0198 §5 says the server should not lose what it could not deliver.
    await waitFor(() => !short.sandbox.xmpp.listSessions().some((x) => x.bareJid === 'late@localhost'));
    await waitFor(() => short.sandbox.xmpp.listOffline().some((o) => o.bareJid === 'late@localhost' && o.count === 2));
    await p.cmd({ cmd: 'reconnect' });
    const failed = await p.next((e) => e.event === 'sm_failed');
    assert.match(String(failed.xml), /item-not-found/);
    await p.next((e) => e.event === 'online');
    await p.next((e) => e.event === 'sm_enabled');
    for (const body of ['to the full JID in the window', 'to the bare JID in the window']) {
      const m = await p.next(isMessageEvent(body));
      assert.ok(m.delay, `${body}: has <delay/>`);
    }
  });
});

describe('closing the stream', () => {
  test('slixmpp closes with </stream:stream>, the server answers in kind (RFC 6120 §4.4) and ends the SM session (XEP-0198 §5)', async () => {
    const { p } = await slix('closer@localhost/slix', { sm: true });
    await p.next((e) => e.event === 'sm_enabled');
    assert.equal((await p.cmd({ cmd: 'quit', wait: 5 })).ok, true);
    const e = await p.next((x) => x.event === 'disconnected');
    // slixmpp sets this reason only when it parsed the server's </stream:stream>; after its own
    // 5 s wait ran out the reason would be empty.
    assert.equal(e.reason, 'End of stream');
    // A clean close is not a resumable interruption: the resource is gone at once.
    await waitFor(() => !s.sandbox.xmpp.listSessions().some((x) => x.bareJid === 'closer@localhost'));
    const peer = await js1('closepeer', 'js');
    await peer.c.send(xml('message', { to: 'closer@localhost', type: 'chat' }, xml('body', {}, 'later')));
    await waitFor(() => s.sandbox.xmpp.listOffline().some((o) => o.bareJid === 'closer@localhost'));
  });
});

describe('offline messages (XEP-0160)', () => {
  test('a message to an offline user reaches a slixmpp client on its initial presence, with <delay/> (XEP-0203)', async () => {
    const sender = await js1('offsender', 'js');
    const text = 'stored while you slept — ✉';
    await sender.c.send(xml('message', { to: 'sleeper@localhost', type: 'chat' }, xml('body', {}, text)));
    await waitFor(() => s.sandbox.xmpp.listOffline().some((o) => o.bareJid === 'sleeper@localhost'));
    const { p } = await slix('sleeper@localhost/slix', { priority: 1 });
    const m = await p.next(isMessageEvent(text));
    assert.equal(m.from, 'offsender@localhost/js');
    assert.ok(m.delay, 'has a <delay/> stamp');
    assert.ok(Date.now() - Date.parse(String(m.delay)) < 60_000, `stamp ${m.delay} is recent`);
  });
});

describe('XEP-0114: slixmpp ComponentXMPP', () => {
  let comp: SlixProcess;
  before(async () => {
    comp = spawnSlix('slix_component.py', ['--jid', 'component.localhost', '--secret', 'secret', '--port', String(s.componentPort)]);
    procs.push(comp);
    const online = await comp.next((e) => e.event === 'online' || e.event === 'error' || e.event === 'disconnected');
    assert.equal(online.event, 'online', JSON.stringify(online) + comp.stderr.join('\n'));
  });

  test('connects with the secret, gets a message from an @xmpp/client user and replies', async () => {
    const user = await js1('compuser', 'js');
    await user.c.send(xml('message', { to: 'echo@component.localhost', type: 'chat' }, xml('body', {}, 'ping ü')));
    const m = await comp.next(isMessageEvent('ping ü'));
    assert.equal(m.from, 'compuser@localhost/js');
    assert.equal(m.to, 'echo@component.localhost');
    const reply = await user.next(isBody('echo: ping ü'));
    assert.equal(reply.attrs.from, 'echo@component.localhost');
    assert.equal(reply.attrs.to, 'compuser@localhost/js');
  });

  test("a client stanza with an explicit xmlns='jabber:client' reaches the component in jabber:component:accept (XEP-0114 §3)", async () => {
    // slixmpp's component only matches {jabber:component:accept}message: a copied xmlns would be invisible to it.
    const { p } = await slix('explicitns@localhost/slix');
    await p.cmd({ cmd: 'raw', data: "<message xmlns='jabber:client' to='echo@component.localhost' type='chat'><body>explicit ns</body></message>" });
    await comp.next(isMessageEvent('explicit ns'));
    const echo = await p.next(isMessageEvent('echo: explicit ns'));
    assert.equal(echo.from, 'echo@component.localhost');
  });

  test('IQs both ways: a user asks the component (disco#info, ping); the component asks a user and the server', async () => {
    const user = await js1('compiq', 'js');
    const info = await user.c.iqCaller.request(xml('iq', { type: 'get', to: 'component.localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal(info.attrs.from, 'component.localhost');
    assert.equal(info.getChild('query')!.getChild('identity')!.attrs.category, 'component');
    const pong = await user.c.iqCaller.request(xml('iq', { type: 'get', to: 'bot@component.localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(pong.attrs.from, 'bot@component.localhost');
    assert.equal((await comp.cmd({ cmd: 'ping', to: 'compiq@localhost/js', from: 'bot@component.localhost' })).ok, true);
    assert.equal((await comp.cmd({ cmd: 'ping', to: 'localhost', from: 'component.localhost' })).ok, true);
    const d = await comp.cmd({ cmd: 'disco_info', to: 'localhost', from: 'component.localhost' });
    assert.ok((d.features as string[]).includes('urn:xmpp:ping'), JSON.stringify(d));
  });

  test('an IQ from the component to a resource that is not connected → service-unavailable, in the component namespace', async () => {
    const r = await comp.cmd({ cmd: 'ping', to: 'nobody@localhost/x', from: 'component.localhost' });
    assert.equal(r.ok, false);
    assert.equal(r.error, 'service-unavailable', String(r.xml));
    // slixmpp quirk (not a server fault): its Error stanza class is bound to jabber:client, so
    // on a jabber:component:accept stream (where <error/> rightly inherits the stream's default
    // namespace, XEP-0114 §3 / RFC 6120 §8.3.2) it reports its default condition instead.
    assert.equal(r.slixmpp_condition, 'feature-not-implemented');
  });

  test('a message from the component to an offline user is stored offline (XEP-0160)', async () => {
    assert.equal((await comp.cmd({ cmd: 'send', to: 'compsleeper@localhost', from: 'news@component.localhost', body: 'while away' })).ok, true);
    await waitFor(() => s.sandbox.xmpp.listOffline().some((o) => o.bareJid === 'compsleeper@localhost'));
    const { p } = await slix('compsleeper@localhost/slix');
    const m = await p.next(isMessageEvent('while away'));
    assert.equal(m.from, 'news@component.localhost');
    assert.ok(m.delay);
  });

  test('a wrong secret is refused (XEP-0114 §3: <not-authorized/>)', async () => {
    // bridge.localhost: configured (secret 'secret') but not connected, so the answer is about the secret.
    const bad = spawnSlix('slix_component.py', ['--jid', 'bridge.localhost', '--secret', 'wrong', '--port', String(s.componentPort)]);
    procs.push(bad);
    const e = await bad.next((x) => x.event === 'online' || x.event === 'stream_error' || x.event === 'disconnected');
    assert.equal(e.event, 'stream_error', JSON.stringify(e));
    assert.match(String(e.xml), /not-authorized/);
  });

  test('a stanza with a from outside the component domain ends the stream with <invalid-from/> (last: it disconnects)', async () => {
    const user = await js1('spoofed', 'js');
    assert.equal((await comp.cmd({ cmd: 'send', to: 'spoofed@localhost/js', from: 'admin@localhost', body: 'spoof' })).ok, true);
    const e = await comp.next((x) => x.event === 'stream_error');
    assert.match(String(e.xml), /invalid-from/);
    await comp.next((x) => x.event === 'disconnected');
    await assert.rejects(user.next(isBody('spoof'), 300), 'the spoofed message was not delivered');
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
