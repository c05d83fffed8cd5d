// The webview's packet index and filters (webview/model.ts, webview/filters.ts) in plain Node:
// incremental building from batches, links, iq pairing, the event cap.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileFilters, EMPTY_FILTERS } from '../../webview/filters';
import { PacketModel } from '../../webview/model';
import { scenarioTrace, TraceWriter } from './fixture';

test('packets are built across batches; updates are reported apart from additions', () => {
  const { events, ids } = scenarioTrace();
  const m = new PacketModel();
  const cut = events.findIndex((e) => e.type === 'outcome' && e.packetId === ids.chat1);
  const first = m.apply(events.slice(0, cut));
  assert.ok(first.added.some((p) => p.id === ids.chat1));
  assert.equal(m.byId.get(ids.chat1)!.outcome, undefined, 'no outcome yet');
  const second = m.apply(events.slice(cut));
  assert.ok(second.updated.has(m.byId.get(ids.chat1)!), 'the outcome updates the existing packet');
  assert.ok(!second.added.some((p) => p.id === ids.chat1));
  assert.equal(m.eventCount, events.length);
  assert.equal(m.packets.length, new Set(events.map((e) => e.packetId)).size);
  // P1 → P2 link and the stages.
  const p1 = m.byId.get(ids.chat1)!;
  assert.deepEqual(p1.children, [ids.chat2]);
  assert.deepEqual(Object.keys(p1.stages), ['preprocess', 'process', 'postprocess', 'filter']);
  assert.ok(Object.values(p1.stages).every((s) => s!.entered && s!.left && s!.durationUs! > 0));
  assert.equal(m.byId.get(ids.chat2)!.arrival!.parentId, ids.chat1);
});

test('iq request and response are paired by id and address', () => {
  const { events, ids } = scenarioTrace();
  const m = new PacketModel();
  m.apply(events);
  assert.deepEqual(m.iqPartners(m.byId.get(ids.ping)!).map((p) => p.id), [ids.pong]);
  assert.deepEqual(m.iqPartners(m.byId.get(ids.pong)!).map((p) => p.id), [ids.ping]);
  assert.deepEqual(m.iqPartners(m.byId.get(ids.chat1)!), [], 'a message has no partner');
});

test('seq gaps are counted as missed events; the cap drops the oldest packets whole', () => {
  const w = new TraceWriter();
  for (let i = 0; i < 100; i++) w.chat('a@x/r', 'b@x', `m${i}`);
  const perPacketPair = w.events.length / 100;
  const m = new PacketModel(Math.floor(perPacketPair * 50));
  const r = m.apply(w.events.filter((e) => e.seq !== 10));
  assert.equal(m.missedEvents, 1);
  assert.ok(r.trimmed);
  assert.ok(m.eventCount <= m.maxEvents);
  assert.equal(m.packets[m.packets.length - 1]!.id, 'p200', 'the newest packet kept');
  for (const p of m.packets) assert.equal(p.events[0]!.type, 'arrival', `${p.id} kept whole`);
  assert.equal(m.eventCount, m.packets.reduce((n, p) => n + p.events.length, 0));
});

test('filters: each criterion, combined, case-insensitive', () => {
  const { events, ids } = scenarioTrace();
  const m = new PacketModel();
  m.apply(events);
  const ids_ = (f: Partial<typeof EMPTY_FILTERS>) => m.packets.filter(compileFilters({ ...EMPTY_FILTERS, ...f }).test).map((p) => p.id);
  assert.equal(ids_({}).length, m.packets.length);
  assert.equal(compileFilters(EMPTY_FILTERS).active, false);
  assert.ok(ids_({ jid: 'BOB@localhost' }).includes(ids.chat1), 'bare JID matches the bare to');
  assert.ok(!ids_({ jid: 'bob@localhost/other' }).includes(ids.chat1), 'full JID must match exactly');
  assert.deepEqual(ids_({ kind: 'iq', stanzaType: 'RESULT' }), [ids.pong]);
  assert.deepEqual(ids_({ outcome: 'stored-offline' }), [ids.offline]);
  assert.deepEqual(ids_({ outcome: 'blocked' }), [ids.blocked]);
  assert.deepEqual(ids_({ xmlns: 'ping' }), [ids.ping]);
  assert.ok(ids_({ plugin: 'carbons' }).includes(ids.chat1));
  assert.deepEqual(ids_({ text: 'You were away' }), [ids.offline]);
  assert.deepEqual(ids_({ text: ids.pong }), [ids.pong], 'a packet id');
  assert.deepEqual(ids_({ text: 'service-unavailable' }), [ids.bounced], 'the bounce condition');
});
