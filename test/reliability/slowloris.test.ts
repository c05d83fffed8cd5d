// Connections that never finish logging in cannot hold the sandbox's sockets: a slowloris (a
// stream header, or the WebSocket's HTTP upgrade request, sent byte by byte) and idle pre-auth
// streams (header sent, no SASL) are closed after xmpp.preAuthTimeoutSec (sandbox/config.ts;
// RFC 6120 §4.9.3.4 <connection-timeout/>), while two bystanders, @xmpp/client over TCP and over
// WebSocket (RFC 7395), keep chatting through the attack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import WebSocket from 'ws';
import type { Element } from '@xmpp/xml';
import { resolveConfig } from '../../sandbox/config';
import { connect, startServer, until, xml, type TestClient } from '../sandbox/xmpp/core/server-harness';
import { STREAM_HEADER } from '../sandbox/xmpp/stream/harness';

/**
 * Short, so the test runs in seconds (the default is 60 s), yet long enough for the bystanders'
 * own logins: @xmpp/client's SCRAM-SHA-1 takes 0.5-1 s on a busy machine.
 */
const PRE_AUTH_SEC = 3;
/**
 * A closed stream ends through Wire.end(): a FIN at once, the socket destroyed after 1 s if the
 * peer keeps it half open; Node checks the HTTP request limit every PRE_AUTH/4. Plus scheduling.
 */
const MARGIN_MS = 1500;
/** The attackers send one byte this often: the 153-byte header would take 15 s. */
const DRIP_MS = 100;
const PER_KIND = 10;
const CHAT_MS = 50;

interface Outcome {
  kind: string;
  /** From the connection (or the WebSocket's open) to the server closing it. */
  ms: number;
  /** What the server wrote. */
  data: string;
  /** Bytes the attacker had dripped when it was closed. */
  dripped: number;
}

/** Connects to `port` and drips `text` one byte every DRIP_MS, never finishing it. */
function drip(kind: string, port: number, text: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    let sent = 0;
    let t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    sock.setEncoding('utf8');
    sock.on('connect', () => {
      t0 = Date.now();
      sock.write(text[sent++]!);
      timer = setInterval(() => sent < text.length - 1 && sock.write(text[sent++]!), DRIP_MS);
    });
    sock.on('data', (d: string) => (data += d));
    sock.on('end', () => clearInterval(timer));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearInterval(timer);
      resolve({ kind, ms: Date.now() - t0, data, dripped: sent });
    });
  });
}

/** Opens a c2s stream over TCP, reads the features, then says nothing. */
function idleTcp(port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    let t0 = Date.now();
    sock.setEncoding('utf8');
    sock.on('connect', () => {
      t0 = Date.now();
      sock.write(STREAM_HEADER);
    });
    sock.on('data', (d: string) => (data += d));
    sock.on('error', () => {});
    sock.on('close', () => resolve({ kind: 'idle pre-auth TCP stream', ms: Date.now() - t0, data, dripped: STREAM_HEADER.length }));
  });
}

/** Opens a c2s stream over WebSocket (RFC 7395 <open/>), reads the features, then says nothing. */
function idleWs(port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/xmpp-websocket`, ['xmpp']);
    let data = '';
    let t0 = Date.now();
    ws.on('open', () => {
      t0 = Date.now();
      ws.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>`);
    });
    ws.on('message', (d) => (data += String(d)));
    ws.on('error', () => {});
    ws.on('close', () => resolve({ kind: 'idle pre-auth WebSocket stream', ms: Date.now() - t0, data, dripped: 0 }));
  });
}

const UPGRADE_REQUEST = [
  'GET /xmpp-websocket HTTP/1.1',
  'Host: 127.0.0.1',
  'Upgrade: websocket',
  'Connection: Upgrade',
  `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
  'Sec-WebSocket-Version: 13',
  'Sec-WebSocket-Protocol: xmpp',
  '',
  '',
].join('\r\n');

/** One bystander's side of the chat: what it sent, and when each of the other's messages arrived. */
interface Chatter {
  tc: TestClient;
  prefix: string;
  sent: string[];
  arrived: Map<string, number>;
  order: string[];
}

function chatter(tc: TestClient, prefix: string): Chatter {
  const c: Chatter = { tc, prefix, sent: [], arrived: new Map(), order: [] };
  tc.c.on('stanza', (s: Element) => {
    const body = s.is('message') ? s.getChildText('body') : null;
    if (body === null) return;
    c.arrived.set(body, Date.now());
    c.order.push(body);
  });
  return c;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0]} ms, median ${s[Math.floor(s.length / 2)]} ms, max ${s[s.length - 1]} ms`;
};

test('slowloris and idle pre-auth connections are closed after xmpp.preAuthTimeoutSec while bystanders keep chatting', async (t) => {
  const s = await startServer({ xmpp: { preAuthTimeoutSec: PRE_AUTH_SEC } });
  t.after(() => s.stop());
  const alice = chatter(await connect(s, 'alice', 'tcp'), 'a');
  const bob = chatter(await connect(s, 'bob', 'web', { ws: true }), 'b');
  const sentAt = new Map<string, number>();
  let chatting = true;
  const chat = (async () => {
    for (let n = 0; chatting; n++) {
      for (const [from, to] of [[alice, bob], [bob, alice]] as const) {
        const body = `${from.prefix}${n}`;
        from.sent.push(body);
        sentAt.set(body, Date.now());
        await from.tc.c.send(xml('message', { to: to.tc.jid, type: 'chat' }, xml('body', {}, body)));
      }
      await new Promise((r) => setTimeout(r, CHAT_MS));
    }
  })();

  const attackStart = Date.now();
  const outcomes = await Promise.all([
    ...Array.from({ length: PER_KIND }, () => drip('slowloris stream header (TCP)', s.ports.c2sPort, STREAM_HEADER)),
    ...Array.from({ length: PER_KIND }, () => drip('slowloris WebSocket upgrade request', s.ports.wsPort!, UPGRADE_REQUEST)),
    ...Array.from({ length: PER_KIND }, () => idleTcp(s.ports.c2sPort)),
    ...Array.from({ length: PER_KIND }, () => idleWs(s.ports.wsPort!)),
  ]);
  const attackEnd = Date.now();
  // The bystanders are now older than the timeout: bound sessions are not subject to it.
  await new Promise((r) => setTimeout(r, 300));
  chatting = false;
  await chat;
  await until(() => alice.arrived.size === bob.sent.length && bob.arrived.size === alice.sent.length, 'every bystander message delivered', 5000);

  const byKind = new Map<string, Outcome[]>();
  for (const o of outcomes) byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), o]);
  for (const [kind, os] of byKind) {
    t.diagnostic(`${kind} ×${os.length}: closed after ${stats(os.map((o) => o.ms))} (timeout ${PRE_AUTH_SEC * 1000} ms)`);
    for (const o of os) {
      assert.ok(o.ms >= PRE_AUTH_SEC * 1000 - 100 && o.ms <= PRE_AUTH_SEC * 1000 + MARGIN_MS, `${kind}: closed after ${o.ms} ms, expected ${PRE_AUTH_SEC * 1000} ms + up to ${MARGIN_MS} ms`);
    }
  }
  for (const o of byKind.get('slowloris stream header (TCP)')!) {
    assert.ok(o.dripped < STREAM_HEADER.length, 'the header was never completed');
    assert.match(o.data, /<connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
    assert.match(o.data, new RegExp(`not authenticated after ${PRE_AUTH_SEC} s`));
  }
  for (const o of byKind.get('slowloris WebSocket upgrade request')!) {
    assert.ok(o.dripped < UPGRADE_REQUEST.length, 'the request was never completed');
    assert.match(o.data, /^HTTP\/1\.1 408 /, 'Node answers the unfinished request with 408');
  }
  for (const o of byKind.get('idle pre-auth TCP stream')!) {
    assert.match(o.data, /<mechanism>PLAIN<\/mechanism>/, 'it got the SASL features first');
    assert.match(o.data, /<connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
  }
  for (const o of byKind.get('idle pre-auth WebSocket stream')!) {
    assert.match(o.data, /<mechanism>PLAIN<\/mechanism>/);
    assert.match(o.data, /<connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
  }
  const timeouts = s.logs.filter((l) => l.startsWith('warn ') && l.endsWith(`not authenticated after ${PRE_AUTH_SEC} s (xmpp.preAuthTimeoutSec) → <connection-timeout/>`));
  assert.equal(timeouts.length, 3 * PER_KIND, 'each stream attacker logged once');

  // The bystanders: every message arrived, in order, and they kept arriving during the attack.
  const latencies: number[] = [];
  for (const [rx, tx] of [[alice, bob], [bob, alice]] as const) {
    assert.deepEqual(rx.order, tx.sent, `${rx.tc.jid} got all of ${tx.tc.jid}'s messages in order`);
    const during = [...rx.arrived.values()].filter((at) => at > attackStart && at < attackEnd).length;
    assert.ok(during >= 5, `${rx.tc.jid} received ${during} messages during the ${attackEnd - attackStart} ms attack`);
    for (const [body, at] of rx.arrived) latencies.push(at - sentAt.get(body)!);
  }
  t.diagnostic(`attack: ${outcomes.length} connections for ${attackEnd - attackStart} ms; bystanders delivered ${alice.arrived.size + bob.arrived.size}/${alice.sent.length + bob.sent.length} messages, latency ${stats(latencies)}`);
  assert.deepEqual(
    s.server.listSessions().flatMap((x) => x.resources.map((r) => r.fullJid)).sort(),
    ['alice@localhost/tcp', 'bob@localhost/web'],
    'the bystanders are still online; no attacker got a session',
  );
});

test('xmpp.preAuthTimeoutSec: 60 s by default, validated', () => {
  assert.equal(resolveConfig({}).xmpp.preAuthTimeoutSec, 60);
  assert.equal(resolveConfig({ xmpp: { preAuthTimeoutSec: 0.5 } }).xmpp.preAuthTimeoutSec, 0.5);
  for (const bad of [0, -1, Number.NaN, 86_401, '5' as unknown as number]) {
    assert.throws(() => resolveConfig({ xmpp: { preAuthTimeoutSec: bad } }), /xmpp\.preAuthTimeoutSec/, String(bad));
  }
});
