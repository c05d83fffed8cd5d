// Issue 12: offline messages to a slow reader. 3,000 stored messages of 8 KB (about 25 MB,
// over the 16 MB send limit) are delivered with flow control (core/offline-delivery.ts,
// docs/interop.md §3.6): a message leaves the store only once the OS took it (XEP-0198 off) or
// the client acknowledged it (XEP-0198 on), delivery pauses while the session's backlog is over
// xmpp.outboundHighWaterBytes, and a session that ends mid-way leaves the rest stored, in order.
// Readers are raw sockets (so they can read slowly, withhold acks and cut) or @xmpp/client.
// Each test reports its figures (stored / delivered / lost, time, peak RSS of this process,
// which holds the server and the clients) as test diagnostics.

import { after, before, beforeEach, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { Element } from '@xmpp/xml';
import { XmlStreamParser } from '../../sandbox/xmpp/xml/parser';
import { NS_OFFLINE, NS_SM } from '../../sandbox/xmpp/vocabulary';
import { connect, sleep, startServer, until, xml, type TestServer } from '../sandbox/xmpp/core/server-harness';

const N = 3000;
const BODY_BYTES = 8 * 1024;
/** How long the slow readers read slowly (the report: 2.5 s). */
const SLOW_MS = 2500;
/** A slow reader takes one chunk (at most 64 KB) per this many ms. */
const SLOW_PAUSE_MS = 50;

// ---- figures ---------------------------------------------------------------------------------

/** Peak RSS of this process (server and clients) since the current test began. */
let peakRss = 0;
let startRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
rssTimer.unref();
beforeEach(() => (peakRss = startRss = process.memoryUsage().rss));
const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

function report(t: TestContext, figures: Record<string, number | string>): void {
  t.diagnostic(JSON.stringify({ ...figures, rssAtStartMB: mb(startRss), peakRssMB: mb(peakRss) }));
}

// ---- a raw c2s client ------------------------------------------------------------------------

/** Body text of message `i` for `user`: sortable prefix, then padding to BODY_BYTES. */
const body = (user: string, i: number) => `${user}-${String(i).padStart(5, '0')}|` + 'x'.repeat(BODY_BYTES - user.length - 7);
const indexOf = (b: string) => Number(b.slice(b.indexOf('-') + 1, b.indexOf('|')));

/**
 * PLAIN login, bind, optional XEP-0198; parses with the sandbox's parser and records what
 * arrives: message indexes, XEP-0013 nodes, stream error, stream end, socket close, in order.
 * Reads slowly while `pauseMs` > 0 (one chunk, then a pause). Answers <r/> with its count of
 * stanzas, capped at `ackCap` (XEP-0198 §4).
 */
class RawReader {
  readonly socket: net.Socket;
  private parser: XmlStreamParser;
  private readonly inbox: Element[] = [];
  /** Indexes of the messages received, in arrival order. */
  readonly got: number[] = [];
  readonly nodes: string[] = [];
  /** 'stream-error <condition> <text>', 'stream-end', 'close' (and 'message' markers are left out). */
  readonly events: string[] = [];
  bytes = 0;
  pauseMs = 0;
  /** XEP-0198: stanzas counted since <enabled/>; msgsAt[h] = messages among the first h. */
  sm = false;
  inbound = 0;
  readonly msgsAt: number[] = [0];
  ackCap = Infinity;
  lastAck = 0;
  /** XEP-0198 resumption id (<enabled id/>). */
  smId = '';
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.parser = this.makeParser();
    socket.on('data', (d: Buffer) => {
      this.bytes += d.length;
      this.parser.write(d);
      if (this.pauseMs > 0 && !this.closed) {
        socket.pause();
        setTimeout(() => socket.resume(), this.pauseMs);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      this.events.push('close');
    });
    socket.on('error', () => {});
  }

  private makeParser(): XmlStreamParser {
    return new XmlStreamParser(
      {
        streamStart: () => {},
        element: (el) => this.onElement(el),
        streamEnd: () => this.events.push('stream-end'),
        error: (c, r) => this.events.push(`parse-error ${c} ${r}`),
      },
      { framed: false, maxElementBytes: 1 << 20 },
    );
  }

  private onElement(el: Element): void {
    if (el.name === 'stream:error') {
      const cond = el.children.find((c): c is Element => typeof c === 'object' && c.name !== 'text');
      this.events.push(`stream-error ${cond?.name} ${el.getChildText('text') ?? ''}`);
      return;
    }
    const isStanza = el.name === 'message' || el.name === 'presence' || el.name === 'iq';
    if (isStanza && this.sm) {
      this.inbound++;
      this.msgsAt.push(this.msgsAt.at(-1)! + (el.name === 'message' ? 1 : 0));
    }
    if (el.name === 'message' && el.getChildText('body')) {
      this.got.push(indexOf(el.getChildText('body')!));
      const node = el.getChild('offline', NS_OFFLINE)?.getChild('item')?.attrs.node;
      if (node) this.nodes.push(node);
      return;
    }
    if (el.name === 'r' && el.attrs.xmlns === NS_SM) {
      this.lastAck = Math.min(this.inbound, this.ackCap);
      this.socket.write(`<a xmlns='${NS_SM}' h='${this.lastAck}'/>`);
      return;
    }
    this.inbox.push(el);
  }

  write(s: string): void {
    this.socket.write(s);
  }

  /** The first element received (and not yet taken) that matches. */
  async next(pred: (el: Element) => boolean, what: string, ms = 30_000): Promise<Element> {
    let found: Element | undefined;
    await until(() => {
      const i = this.inbox.findIndex(pred);
      if (i >= 0) found = this.inbox.splice(i, 1)[0];
      return found !== undefined || this.closed;
    }, what, ms);
    if (!found) throw new Error(`closed before ${what}; events: ${this.events.join(', ')}`);
    return found;
  }

  static async login(port: number, user: string, resource: string, opts: { sm?: 'enable' | { previd: string; h: number } } = {}): Promise<RawReader> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    const r = new RawReader(socket);
    const header = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`;
    r.write(header);
    await r.next((e) => e.name === 'stream:features', 'features');
    r.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0sandbox`).toString('base64')}</auth>`);
    await r.next((e) => e.name === 'success', 'SASL success');
    r.parser = r.makeParser();
    r.write(header);
    await r.next((e) => e.name === 'stream:features', 'features after auth');
    if (opts.sm && opts.sm !== 'enable') {
      // Counting is on before <resumed/> arrives: the retransmitted stanzas and an <r/> may come
      // in the same read, and are handled before the await below returns.
      r.sm = true;
      r.inbound = opts.sm.h; // XEP-0198 §5: h counts on across the resumption
      r.smId = opts.sm.previd;
      r.write(`<resume xmlns='${NS_SM}' previd='${opts.sm.previd}' h='${opts.sm.h}'/>`);
      await r.next((e) => e.name === 'resumed', 'resumed');
      return r;
    }
    r.write(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    await r.next((e) => e.name === 'iq' && e.attrs.id === 'bind', 'bind');
    if (opts.sm === 'enable') {
      r.sm = true; // counts from <enabled/> on; nothing else comes before it in this flow
      r.write(`<enable xmlns='${NS_SM}' resume='true'/>`);
      const enabled = await r.next((e) => e.name === 'enabled', 'enabled');
      r.smId = enabled.attrs.id ?? '';
    }
    return r;
  }

  /** RFC 6120 §4.4: close our stream, read everything the server still sends, until it closes. */
  async closeGracefully(): Promise<void> {
    this.pauseMs = 0;
    this.socket.resume();
    this.write('</stream:stream>');
    await until(() => this.closed, 'server closes after our </stream:stream>', 10_000);
  }

  /** Read at full speed until `n` messages arrived. */
  async readAll(n: number, ms = 60_000): Promise<void> {
    this.pauseMs = 0;
    this.socket.resume();
    await until(() => this.got.length >= n || this.closed, `${n} messages`, ms);
  }

  /** Once nothing arrived for a while and `cond` holds (the server waits for acks). */
  async stalled(cond: () => boolean, what: string): Promise<void> {
    let last = -1;
    let since = Date.now();
    await until(() => {
      if (this.got.length !== last) {
        last = this.got.length;
        since = Date.now();
      }
      return cond() && Date.now() - since >= 300;
    }, what, 30_000);
  }

  /** A ping round trip (RFC 6120 §8.2.3 via XEP-0199): the stream is alive and in order. */
  async ping(id: string): Promise<void> {
    this.write(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await this.next((e) => e.name === 'iq' && e.attrs.id === id, `ping ${id}`);
  }
}

// ---- the server --------------------------------------------------------------------------------

let t: TestServer;
before(async () => {
  t = await startServer({ xmpp: { smResumeTimeoutSec: 0 } });
});
after(() => t.stop());

/** Store N messages of BODY_BYTES for `user` (through the pipeline, as from a producer). */
function fill(srv: TestServer, user: string, n = N): void {
  for (let i = 0; i < n; i++) srv.server.inject('producer@localhost/p', `<message to='${user}@localhost' type='chat' id='${user}-${i}'><body>${body(user, i)}</body></message>`);
  assert.equal(srv.server.listOffline(`${user}@localhost`)[0]!.count, n);
}

const stored = (srv: TestServer, user: string) => srv.server.listOffline(`${user}@localhost`)[0]?.count ?? 0;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * A full-speed reader that takes what is left (flood on presence) and checks that the offline
 * messages (indexes below N) are exactly `expected`; `extra` more may follow (re-routed live ones).
 */
async function drainRemainder(srv: TestServer, user: string, expected: number[], extra = 0): Promise<number[]> {
  const r = await RawReader.login(srv.ports.c2sPort, user, 'next');
  r.write('<presence/>');
  await r.readAll(expected.length + extra);
  await r.ping('after-remainder'); // nothing else was on its way
  assert.deepEqual(r.got.filter((i) => i < N), expected, 'the next login gets exactly the undelivered remainder, in order');
  assert.equal(r.got.length, expected.length + extra);
  await until(() => stored(srv, user) === 0, 'store empty once the remainder is delivered');
  await r.closeGracefully();
  return r.got;
}

test('(a) a slow reader that leaves mid-flush is paced, not cut; the next login gets exactly the rest', async (tc) => {
  fill(t, 'slowa');
  const t0 = Date.now();
  const r = await RawReader.login(t.ports.c2sPort, 'slowa', 'r');
  r.pauseMs = SLOW_PAUSE_MS;
  r.write('<presence/>');
  await sleep(SLOW_MS);
  const duringSlow = r.got.length;
  await r.closeGracefully();
  const k = r.got.length;
  assert.ok(!r.events.some((e) => e.startsWith('stream-error')), `not cut off: ${r.events.join(', ')}`);
  assert.ok(k > 0 && k < N, `read part of the backlog (${k})`);
  assert.deepEqual(r.got, range(0, k), 'in order, no duplicates');
  await until(() => stored(t, 'slowa') === N - k, `the store keeps the ${N - k} undelivered`, 5000);
  const rest = await drainRemainder(t, 'slowa', range(k, N));
  report(tc, { stored: N, deliveredSlow: duringSlow, deliveredBeforeClose: k, deliveredNextLogin: rest.length, lost: N - k - rest.length, duplicates: 0, ms: Date.now() - t0 });
});

test('(a′) without XEP-0198 an abrupt cut mid-flush keeps the unwritten rest, in order; only what the OS held is gone', async (tc) => {
  fill(t, 'cuta');
  const r = await RawReader.login(t.ports.c2sPort, 'cuta', 'r');
  r.pauseMs = SLOW_PAUSE_MS;
  r.write('<presence/>');
  await sleep(SLOW_MS);
  r.socket.destroy(); // no </stream:stream>: the server finds out from the socket
  const k = r.got.length;
  assert.deepEqual(r.got, range(0, k), 'in order, no duplicates');
  // The delivery stops and the server stays responsive (this used to spin: the dying session
  // was picked again for the rest before its close was seen).
  await until(() => !t.server.listSessions().some((s) => s.bareJid === 'cuta@localhost'), 'session ended', 10_000);
  const left = stored(t, 'cuta');
  // Without acknowledgements, "delivered" means taken by the OS: what sat in the socket buffers
  // when the reader vanished is gone. The rest is a contiguous, ordered suffix.
  assert.ok(left > 0 && left <= N - k, `stored ${left} of the ${N - k} not read`);
  const rest = await drainRemainder(t, 'cuta', range(N - left, N));
  report(tc, { stored: N, read: k, lostInOsBuffers: N - k - rest.length, deliveredNextLogin: rest.length, duplicates: 0 });
});

for (const ws of [false, true]) {
  const user = ws ? 'fastws' : 'fasta';
  test(`(b) a full-speed reader (@xmpp/client over ${ws ? 'WebSocket' : 'TCP'}) gets all 3,000 and its stream lives on; the trace shows each`, async (tc) => {
    fill(t, user);
    const since = t.trace.lastSeq;
    const t0 = Date.now();
    const c = await connect(t, user, 'r', { presence: null, ws });
    const streamErrors: string[] = [];
    c.c.on('error', (e: Error) => streamErrors.push(String(e)));
    // Presence once the client has taken <enabled/> in (docs/interop.md §3.7).
    await until(() => c.c.streamManagement.enabled, 'XEP-0198 on');
    const got: number[] = [];
    c.c.on('stanza', (s: Element) => {
      if (s.is('message') && s.getChildText('body')) got.push(indexOf(s.getChildText('body')!));
    });
    await c.c.send(xml('presence'));
    await until(() => got.length >= N, `${N} messages`, 60_000);
    const ms = Date.now() - t0;
    assert.deepEqual(got, range(0, N), 'all, in order, once');
    // Alive: a round trip after the backlog, no stream error.
    await c.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.deepEqual(streamErrors, []);
    assert.equal(c.c.status, 'online');
    await until(() => stored(t, user) === 0, 'removed once acknowledged', 5000);
    // Each delivered offline message is its own packet in the trace, produced by the offline plugin.
    const events = t.trace.snapshot(since);
    const arrivals = new Set(events.filter((e) => e.type === 'arrival' && e.producedBy === 'offline' && e.to === `${user}@localhost`).map((e) => e.packetId));
    const delivered = events.filter((e) => e.type === 'outcome' && arrivals.has(e.packetId) && e.outcome === 'delivered' && e.to?.[0] === c.jid);
    assert.equal(arrivals.size, N);
    assert.equal(delivered.length, N);
    report(tc, { transport: ws ? 'websocket' : 'tcp', stored: N, delivered: got.length, lost: 0, ms, MBperS: Math.round(((N * BODY_BYTES) / 1024 / 1024 / (ms / 1000)) * 10) / 10 });
  });
}

test('(c) XEP-0198: unacknowledged messages stay stored on a cut (exactly once), or come on resumption', async (tc) => {
  // Part 1: no resumption window (the suite's server): a cut ends the session.
  fill(t, 'smcut');
  const r = await RawReader.login(t.ports.c2sPort, 'smcut', 'r', { sm: 'enable' });
  r.ackCap = 1000; // acknowledges the first 1000 stanzas, then nothing more
  r.write('<presence/>');
  // The flood goes on past the last ack only by the window (xmpp.outboundHighWaterBytes): it stalls.
  await r.stalled(() => r.lastAck === 1000, 'delivery stalls on the ack window');
  const received = r.got.length;
  const acked = r.msgsAt[r.lastAck]!;
  r.socket.destroy(); // the cut: no </stream:stream>, no last ack
  assert.ok(received > acked && received < N, `received ${received}, acknowledged ${acked}`);
  await until(() => stored(t, 'smcut') === N - acked, `the ${N - acked} unacknowledged stay stored`, 5000);
  const rest = await drainRemainder(t, 'smcut', range(acked, N));
  report(tc, { part: 'cut', stored: N, received, acknowledged: acked, redeliveredNextLogin: rest.length, lost: N - acked - rest.length });

  // Part 2: with a resumption window the rest comes on <resume/>, each message once.
  const t2 = await startServer({ xmpp: { smResumeTimeoutSec: 30 } });
  try {
    fill(t2, 'smres');
    const a = await RawReader.login(t2.ports.c2sPort, 'smres', 'r', { sm: 'enable' });
    a.ackCap = 500;
    a.write('<presence/>');
    await a.stalled(() => a.lastAck === 500, 'delivery stalls on the ack window');
    const ackedA = a.msgsAt[a.lastAck]!;
    a.socket.destroy();
    await until(() => t2.server.listSessions().some((s) => s.resources.some((x) => x.sm === 'detached')), 'detached');
    const b = await RawReader.login(t2.ports.c2sPort, 'smres', 'r', { sm: { previd: a.smId, h: a.lastAck } });
    await b.readAll(N - ackedA);
    await b.ping('after-resume');
    assert.deepEqual(b.got, range(ackedA, N), 'retransmitted, then the rest: each once, in order');
    await until(() => stored(t2, 'smres') === 0, 'all acknowledged, store empty', 5000);
    await b.closeGracefully();
    report(tc, { part: 'resume', stored: N, acknowledgedBeforeCut: ackedA, receivedBeforeCut: a.got.length, afterResume: b.got.length, lost: 0 });
  } finally {
    await t2.stop();
  }
});

test('(d) XEP-0013 fetch to a slow reader is paced; removal by node, a cut mid-fetch, the next fetch gets exactly the rest', async (tc) => {
  fill(t, 'flex');
  const t0 = Date.now();
  const r = await RawReader.login(t.ports.c2sPort, 'flex', 'r');
  r.pauseMs = SLOW_PAUSE_MS;
  r.write(`<iq type='get' id='fetch-1'><offline xmlns='${NS_OFFLINE}'><fetch/></offline></iq>`);
  await sleep(SLOW_MS);
  // XEP-0013 §2.5: remove what was processed, then leave in the middle of the fetch.
  const k = r.got.length;
  assert.ok(k > 0 && k < N, `part of the messages (${k})`);
  r.write(`<iq type='set' id='remove-1'><offline xmlns='${NS_OFFLINE}'>${r.nodes.slice(0, k).map((n) => `<item action='remove' node='${n}'/>`).join('')}</offline></iq>`);
  await r.closeGracefully();
  assert.ok(!r.events.some((e) => e.startsWith('stream-error')), `not cut off: ${r.events.join(', ')}`);
  assert.deepEqual(r.got, range(0, r.got.length), 'in order, no duplicates');
  await until(() => stored(t, 'flex') === N - k, `fetch removes nothing; the remove took ${k}`, 10_000);

  // The next fetch, at full speed: exactly the rest, then the IQ result (§2.6), stream alive.
  const r2 = await RawReader.login(t.ports.c2sPort, 'flex', 'r2');
  r2.write(`<iq type='get' id='fetch-2'><offline xmlns='${NS_OFFLINE}'><fetch/></offline></iq>`);
  const result = await r2.next((e) => e.name === 'iq' && e.attrs.id === 'fetch-2', 'fetch result', 60_000);
  assert.equal(result.attrs.type, 'result');
  assert.deepEqual(r2.got, range(k, N), 'every remaining message before the result, in order');
  assert.equal(r2.nodes.length, N - k);
  await r2.ping('after-fetch');
  assert.equal(stored(t, 'flex'), N - k, 'still stored (XEP-0013 removes only on request)');
  await r2.closeGracefully();
  report(tc, { stored: N, fetchedSlowThenRemoved: k, fetchedNext: r2.got.length, lost: N - k - r2.got.length, ms: Date.now() - t0 });
});

test('(e) a reader closed for the send limit gets <stream:error><resource-constraint/> before the close; no offline message is lost', async (tc) => {
  // A small send limit, so a modest live flood exceeds it.
  const t3 = await startServer({ xmpp: { maxOutboundBytes: 2 * 1024 * 1024, outboundHighWaterBytes: 256 * 1024 } });
  try {
    fill(t3, 'victim');
    const v = await RawReader.login(t3.ports.c2sPort, 'victim', 'r');
    v.write('<presence/>');
    await until(() => v.got.length > 0, 'the flood started');
    v.socket.pause(); // stops reading: the OS buffers fill, then the server's backlog
    const flooder = await RawReader.login(t3.ports.c2sPort, 'flooder', 'f');
    let liveSent = 0;
    const burst = `<message to='victim@localhost/r' type='chat'><body>live-99999|${'y'.repeat(BODY_BYTES)}</body></message>`.repeat(16);
    const victimUp = () => t3.server.listSessions().some((s) => s.bareJid === 'victim@localhost');
    for (let i = 0; i < 2000 && victimUp(); i++) {
      liveSent += 16;
      if (!flooder.socket.write(burst)) await new Promise((res) => flooder.socket.once('drain', res));
      await sleep(1);
    }
    await until(() => !victimUp(), 'the victim was closed for the send limit', 30_000);
    const storedAtCut = stored(t3, 'victim');
    // Live messages that came after the close are stored too (chat to a gone resource, RFC 6121 §8.5.3.2.1).
    const liveStored = () => t3.server.listOffline('victim@localhost', true)[0]!.items!.filter((it) => it.xml.includes('live-99999')).length;
    // Reads again, slowly (about 1 MB/s): what the OS already holds, then the stream error and
    // the close tag. Before, the error sat behind the whole unsent backlog (the send limit's worth)
    // and the connection was destroyed after the close grace period (1 s) long before a reader at
    // this pace got to it.
    v.pauseMs = 60;
    v.socket.resume();
    await until(() => v.closed, 'socket closed', 60_000);
    const tail = v.events;
    const errAt = tail.findIndex((e) => e.startsWith('stream-error resource-constraint'));
    assert.ok(errAt >= 0, `stream error received; events: ${tail.join(', ')}; ${v.got.length} messages, ${v.bytes} bytes`);
    assert.match(tail[errAt]!, /peer is not reading/);
    assert.deepEqual(tail.slice(errAt), [tail[errAt], 'stream-end', 'close'], 'error, then </stream:stream>, then the close');
    const offlineGot = v.got.filter((i) => i !== 99999);
    assert.deepEqual(offlineGot, range(0, offlineGot.length), 'offline part in order, no duplicates');
    await flooder.ping('flood-done'); // the server has processed every live message
    const live = liveStored();
    const rest = (await drainRemainder(t3, 'victim', range(offlineGot.length, N), live)).filter((i) => i < N);
    report(tc, { stored: N, deliveredBeforeCut: offlineGot.length, liveSent, liveReceived: v.got.length - offlineGot.length, liveStoredAfterCut: live, liveDroppedWithBacklog: liveSent - (v.got.length - offlineGot.length) - live, storedAtCut, deliveredNextLogin: rest.length, lost: N - offlineGot.length - rest.length });
    await flooder.closeGracefully();
  } finally {
    await t3.stop();
  }
});
