// The webview's packet index and filters (webview/model.ts, webview/filters.ts) in plain Node:
// incremental building from batches, links, iq pairing, the event cap, summaries and the
// stage timeline merged in on demand ('detail').

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileFilters, EMPTY_FILTERS } from '../../webview/filters';
import { isSummaryEvent, type TraceEvent } from '../../sandbox/trace/events';
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

test('the cap drops the oldest packets whole', () => {
  const w = new TraceWriter();
  for (let i = 0; i < 100; i++) w.chat('a@x/r', 'b@x', `m${i}`);
  const perPacketPair = w.events.length / 100;
  const m = new PacketModel(Math.floor(perPacketPair * 50));
  const r = m.apply(w.events);
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
  assert.deepEqual(ids_({ text: 'You were away' }), [ids.offline, ids.delivery]);
  assert.deepEqual(ids_({ text: 'no "to" address' }), [ids.deadLetter], 'a dead letter by its reason');
  assert.deepEqual(ids_({ text: ids.pong }), [ids.pong], 'a packet id');
  assert.deepEqual(ids_({ text: 'service-unavailable' }), [ids.bounced], 'the bounce condition');
});

test('a local stanza is one row with two passes: the sender\u2019s heads it, the receiver\u2019s ends it', () => {
  const { events, ids } = scenarioTrace();
  const m = new PacketModel();
  m.apply(events);
  const p1 = m.byId.get(ids.chat1)!;
  const p2 = m.byId.get(ids.chat2)!;
  assert.equal(p1.secondPass, ids.chat2);
  assert.equal(p2.firstPass, ids.chat1);
  assert.equal(m.rowOf(p2), p1);
  assert.deepEqual(m.passesOf(p1), [p1, p2]);
  assert.equal(m.lastPass(p1).outcome!.outcome, 'delivered');
  // An answer (another stanza) is no second pass: the ping and its result stay two rows.
  assert.equal(m.byId.get(ids.ping)!.secondPass, undefined);
  assert.equal(m.rowOf(m.byId.get(ids.pong)!).id, ids.pong);
});

test('a stored packet reads "delivered later" once its delivery is delivered; the two are linked', () => {
  const { events, ids } = scenarioTrace();
  const m = new PacketModel();
  const cut = events.findIndex((e) => e.type === 'outcome' && e.packetId === ids.delivery);
  m.apply(events.slice(0, cut));
  const stored = m.byId.get(ids.offline)!;
  assert.equal(m.byId.get(ids.delivery)!.storedAs, ids.offline);
  assert.deepEqual(stored.laterDeliveries, [ids.delivery]);
  assert.equal(m.deliveredLater(stored), false, 'not before the delivery\u2019s outcome');
  const r = m.apply(events.slice(cut));
  assert.ok(r.updated.has(stored), 'the stored packet is reported changed');
  assert.equal(m.deliveredLater(stored), true);
});

test('a restart keeps the earlier run under new keys; a delivery in the new run links back to it', () => {
  const { events, ids } = scenarioTrace();
  const m = new PacketModel();
  m.apply(events.filter((e) => e.packetId !== ids.delivery));
  const before = m.packets.length;
  const renamed = m.startSandboxRun(2);
  assert.equal(renamed.get(ids.chat1), `${ids.chat1}@1`);
  assert.equal(m.byId.get(ids.chat1), undefined, 'the id is free for the new run');
  const old = m.byId.get(`${ids.chat1}@1`)!;
  assert.equal(old.packetId, ids.chat1);
  assert.equal(old.secondPass, `${ids.chat2}@1`, 'links follow the new keys');
  assert.equal(m.earlierCount, before);
  // The new run: its own p1, and the stored message of run 1 delivered now.
  const w = new TraceWriter();
  w.presence('carol@localhost/desk');
  const at = events.find((e) => e.type === 'outcome' && e.packetId === ids.offline)!.ts;
  const d = w.packet_({
    kind: 'message', type: 'chat', from: 'alice@localhost/laptop', to: 'carol@localhost', child: 'body', direction: 'in', producedBy: 'offline',
    stored: { packetId: ids.offline!, stamp: new Date(at).toISOString() }, xml: '<message><body>You were away</body></message>', outcome: 'delivered',
  });
  m.apply(w.events);
  assert.equal(m.byId.get('p1')!.sandboxRun, 2);
  assert.equal(m.byId.get(d)!.storedAs, `${ids.offline}@1`);
  assert.equal(m.deliveredLater(m.byId.get(`${ids.offline}@1`)!), true);
  // A refill of an earlier run keys its events the same way.
  const refilled = new PacketModel();
  refilled.sandboxRun = 2;
  refilled.apply(events, 1);
  assert.ok(refilled.byId.has(`${ids.chat1}@1`));
  assert.equal(refilled.lastSeq, 0, 'an earlier run does not move the current run\u2019s seq');
});

test('a dead letter is a row of its own with its reason and item', () => {
  const { events, ids } = scenarioTrace();
  const m = new PacketModel();
  m.apply(events);
  const d = m.byId.get(ids.deadLetter!)!;
  assert.equal(d.deadLetter!.reason, 'the stanza has no "to" address (XEP-0114 requires one)');
  assert.match(d.deadLetter!.item!, /nowhere to go/);
  assert.equal(d.arrival, undefined);
});

test('summaries: a pass needs its stage timeline; the detail merges in without duplicates', () => {
  const { events, ids } = scenarioTrace();
  const m = new PacketModel();
  m.apply(events.filter(isSummaryEvent));
  const p1 = m.byId.get(ids.chat1)!;
  const summaryCount = p1.events.length;
  assert.ok(p1.plugins.length > 0, 'the plugin verdicts came with the summary');
  assert.ok(m.needsDetail(p1), 'no stage event yet');
  const pluginsBefore = p1.plugins.length;
  // The answer repeats what the summary brought (and one packet twice): each event is kept once.
  const full = (id: string): TraceEvent[] => events.filter((e) => e.packetId === id);
  const answer = [...full(ids.chat1!), ...full(ids.chat2!)].sort((a, b) => a.seq - b.seq);
  const changed = m.applyDetail(answer, []);
  assert.ok(changed.has(p1) && changed.has(m.byId.get(ids.chat2)!));
  assert.deepEqual(p1.events, full(ids.chat1!), 'every event once, in seq order');
  assert.equal(p1.detail, 'full');
  assert.equal(m.needsDetail(p1), false);
  assert.equal(p1.plugins.length, pluginsBefore, 'plugins not counted twice');
  assert.deepEqual(Object.keys(p1.stages), ['preprocess', 'process', 'postprocess', 'filter']);
  assert.ok(Object.values(p1.stages).every((s) => s!.entered && s!.left && s!.durationUs! > 0), 'stages rebuilt from the stage events');
  assert.equal(Object.values(p1.stages).reduce((n, s) => n + s!.plugins.length, 0), pluginsBefore);
  assert.deepEqual(p1.children, [ids.chat2], 'links untouched');
  assert.equal(m.eventCount, m.packets.reduce((n, p) => n + p.events.length, 0), 'eventCount follows the merged events');
  // The same answer again changes nothing; a live event the answer already brought is skipped.
  m.applyDetail(answer, []);
  const r = m.apply([full(ids.chat1!).at(-1)!]);
  assert.deepEqual(p1.events, full(ids.chat1!));
  assert.ok(!r.updated.has(p1));
  assert.equal(m.eventCount, m.packets.reduce((n, p) => n + p.events.length, 0));
});

test('summaries: a packet the ring no longer holds is gone; full events never need detail', () => {
  const { events, ids } = scenarioTrace();
  const m = new PacketModel();
  m.apply(events.filter(isSummaryEvent));
  const ping = m.byId.get(ids.ping!)!;
  const changed = m.applyDetail([], [ids.ping!]);
  assert.ok(changed.has(ping));
  assert.equal(ping.detail, 'gone');
  assert.equal(m.needsDetail(ping), false, 'not asked again');
  assert.deepEqual(Object.keys(ping.stages).filter((st) => ping.stages[st as keyof typeof ping.stages]!.left), [], 'no stage timeline invented');
  // Built from full events (the stream before summaries, or a test): nothing to fetch.
  const full = new PacketModel();
  full.apply(events);
  assert.ok(full.packets.every((p) => !full.needsDetail(p)));
  // An earlier run's ring is gone with its process: never asked for.
  m.startSandboxRun(2);
  assert.ok(m.packets.every((p) => !m.needsDetail(p)));
});

test('summaries: a detail fetched in flight is fetched again once the outcome arrives', () => {
  const { events, ids } = scenarioTrace();
  const m = new PacketModel();
  const mine = events.filter((e) => e.packetId === ids.ping);
  const outcome = mine.findIndex((e) => e.type === 'outcome');
  m.apply(mine.slice(0, outcome).filter(isSummaryEvent));
  const ping = m.byId.get(ids.ping!)!;
  m.applyDetail(mine.slice(0, outcome), []);
  assert.equal(ping.detail, 'full');
  m.apply([mine[outcome]!]);
  assert.equal(ping.outcome, mine[outcome]);
  assert.ok(m.needsDetail(ping), 'the stages after the fetch are still to come');
  m.applyDetail(mine, []);
  assert.deepEqual(ping.events, mine);
  assert.equal(m.needsDetail(ping), false);
});
