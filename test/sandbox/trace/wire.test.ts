// The IPC wire (sandbox/trace/wire.ts): a batch crosses as one flat array, without keys, its
// shared objects and a receiver's repeated stanza text written once, and comes back as the same
// events, key order included, so what the extension host receives serialises exactly as what
// the sandbox's ring holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { join } from 'node:path';
import { TraceBus } from '../../../sandbox/trace/bus';
import type { TraceEvent } from '../../../sandbox/trace/events';
import { decodeBatch, encodeBatch } from '../../../sandbox/trace/wire';

/** Through the wire as Node's IPC carries it ('advanced' serialization: v8), and as JSON too. */
const across = (events: readonly TraceEvent[]): TraceEvent[] => {
  const viaJson = decodeBatch(JSON.parse(JSON.stringify(encodeBatch(events))));
  const viaV8 = decodeBatch(deserialize(serialize(encodeBatch(events))));
  assert.deepEqual(viaJson.map((e) => JSON.stringify(e)), viaV8.map((e) => JSON.stringify(e)));
  return viaV8;
};

test('real traffic (the pinned export: c2s, inject, RESP) comes back as the same JSON lines', () => {
  const lines = readFileSync(join(__dirname, 'fixtures/export-stable.jsonl'), 'utf8').trimEnd().split('\n');
  const events = lines.map((l) => JSON.parse(l) as TraceEvent);
  assert.ok(new Set(events.map((e) => e.type)).size >= 4, 'the fixture has arrivals, stages, plugins, outcomes and queue events');
  assert.deepEqual(across(events).map((e) => JSON.stringify(e)), lines);
});

test('every field of every event type, set and absent, as the ring reads it back', () => {
  const bus = new TraceBus({ capacity: 100 });
  const source = { kind: 'component', sessionId: 'comp-7', jid: 'bridge.localhost', transport: 'component', queue: 'xmpp:outbox' } as const;
  bus.emit({ type: 'arrival', packetId: 'p1', source, direction: 'out', kind: 'iq', stanzaType: 'get', xml: "<iq type='get' id='i1'/>", bytes: 24, from: 'a@localhost/x', to: 'localhost', id: 'i1', child: 'ping', xmlns: 'urn:xmpp:ping', parentId: 'p0', producedBy: 'message', stored: { packetId: 'p0', stamp: '2026-11-30T00:00:00.000Z' }, run: 'r1' }, 10.25);
  bus.emit({ type: 'arrival', packetId: 'p2', source: { kind: 'server' }, direction: 'in', kind: 'presence', stanzaType: 'available', xml: '<presence/>', bytes: 11 }, 11);
  bus.stage('p1', 'process', 'enter', 12);
  bus.stage('p1', 'process', 'leave', 13, 1.5);
  bus.plugin('p1', 'process', 'iq', 'produced', 14, 2.25, ['p2', 'p3'], 'answered', 'none');
  bus.plugin('p2', 'filter', 'privacy', 'passed', 15, 0);
  bus.emit({ type: 'outcome', packetId: 'p1', outcome: 'bounced', totalUs: 17.75, to: ['b@localhost/r1', 'b@localhost/r2'], produced: ['p2'], error: 'service-unavailable', plugin: 'iq', reason: 'no handler' }, 16);
  bus.emit({ type: 'outcome', packetId: 'p2', outcome: 'delivered', totalUs: 0, to: [] }, 17);
  bus.emit({ type: 'queue', op: 'dead-letter', key: 'xmpp:outbox', dest: 'xmpp:outbox:dead', length: 3, count: 1, client: 'w1', reason: 'no "to"', item: '<message/>' }, 18);
  bus.emit({ type: 'queue', op: 'flush', key: '*' }, 19);
  // Lone surrogates and NUL survive too (JSON escapes them).
  bus.emit({ type: 'arrival', packetId: 'p9', source: { kind: 'inject' }, direction: 'in', kind: 'message', stanzaType: 'chat', xml: '<message>\ud800 \u0000</message>', bytes: 20 }, 20);
  const events = bus.snapshot();
  assert.deepEqual(across(events).map((e) => JSON.stringify(e)), events.map((e) => JSON.stringify(e)));
  assert.deepEqual(across(events), events);
});

test("each shared object is written once per batch, and a receiver's pass does not repeat its sender's stanza", () => {
  const bus = new TraceBus({ capacity: 1000 });
  const source = Object.freeze({ kind: 'c2s', sessionId: 'c2s-1', jid: 'alice@localhost/a', transport: 'tcp' } as const);
  const xml = "<message to='bob@localhost/b'><body>hello</body></message>";
  for (let i = 0; i < 50; i++) {
    const sent = `<message to='bob@localhost/b' id='m${i}'><body>hello</body></message>`;
    bus.emit({ type: 'arrival', packetId: `p${2 * i}`, source, direction: 'out', kind: 'message', stanzaType: 'chat', xml: sent, bytes: sent.length, from: 'alice@localhost/a', to: 'bob@localhost/b' });
    bus.emit({ type: 'outcome', packetId: `p${2 * i}`, outcome: 'forwarded', totalUs: 3, produced: [`p${2 * i + 1}`] });
    bus.emit({ type: 'arrival', packetId: `p${2 * i + 1}`, source, direction: 'in', kind: 'message', stanzaType: 'chat', xml: sent, bytes: sent.length, from: 'alice@localhost/a', to: 'bob@localhost/b', parentId: `p${2 * i}` });
    bus.emit({ type: 'outcome', packetId: `p${2 * i + 1}`, outcome: 'delivered', totalUs: 3, to: ['bob@localhost/b'] });
  }
  const events = bus.snapshot();
  const batch = encodeBatch(events);
  assert.equal(batch.e.filter((x) => typeof x === 'string' && x.startsWith('<message')).length, 50, 'each stanza once');
  assert.deepEqual(across(events), events);
  assert.equal(batch.r.length, 1, 'the session source once');
  const ratio = JSON.stringify(batch).length / JSON.stringify(events).length;
  assert.ok(ratio < 0.6, `under 60% of the bytes of the objects, as JSON (${(ratio * 100).toFixed(0)}%)`);
});

test('a batch that is not one is refused with a clear error, not half read', () => {
  assert.throws(() => decodeBatch({ w: 1 } as never), /not a batch of format 2/);
  assert.throws(() => decodeBatch({ w: 2, r: [], e: [42] }), /event type 42/);
});
