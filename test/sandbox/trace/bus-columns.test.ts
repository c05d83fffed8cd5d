// TraceBus.stage/plugin keep stage and plain plugin events as ring columns (no object per
// event); readers must see exactly the events emit() would have recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TraceBus } from '../../../sandbox/trace/bus';
import type { TraceEvent, TraceEventInput } from '../../../sandbox/trace/events';

const T = 1000.25; // a performance.now() value

/** A packet's worth of events through the fast paths and emit(), interleaved. */
function emitPacket(bus: TraceBus, id: string): void {
  bus.emit({ type: 'arrival', packetId: id, source: { kind: 'inject' }, direction: 'in', kind: 'message', stanzaType: 'chat', xml: '<message/>', bytes: 10 }, T);
  bus.stage(id, 'preprocess', 'enter', T);
  bus.plugin(id, 'preprocess', 'privacy', 'blocked', T + 0.001, 1.5, null, 'listed');
  bus.stage(id, 'preprocess', 'leave', T + 0.002, 2);
  bus.stage(id, 'filter', 'enter', T + 0.003);
  bus.plugin(id, 'filter', 'f', 'error', T + 0.004, 0.7, null, undefined, 'boom');
  bus.plugin(id, 'filter', 'g', 'produced', T + 0.005, 0.3, ['p9']);
  bus.stage(id, 'filter', 'leave', T + 0.006, 3.1);
  bus.emit({ type: 'outcome', packetId: id, outcome: 'blocked', totalUs: 6, plugin: 'privacy' }, T + 0.007);
}

const expected = (id: string, seq0: number): TraceEvent[] => {
  const ts = (dt: number) => performance.timeOrigin + T + dt;
  return [
    { type: 'arrival', packetId: id, source: { kind: 'inject' }, direction: 'in', kind: 'message', stanzaType: 'chat', xml: '<message/>', bytes: 10, v: 1, seq: seq0, ts: ts(0) },
    { type: 'stage', packetId: id, stage: 'preprocess', phase: 'enter', v: 1, seq: seq0 + 1, ts: ts(0) },
    { type: 'plugin', packetId: id, stage: 'preprocess', plugin: 'privacy', verdict: 'blocked', durationUs: 1.5, reason: 'listed', v: 1, seq: seq0 + 2, ts: ts(0.001) },
    { type: 'stage', packetId: id, stage: 'preprocess', phase: 'leave', durationUs: 2, v: 1, seq: seq0 + 3, ts: ts(0.002) },
    { type: 'stage', packetId: id, stage: 'filter', phase: 'enter', v: 1, seq: seq0 + 4, ts: ts(0.003) },
    { type: 'plugin', packetId: id, stage: 'filter', plugin: 'f', verdict: 'error', durationUs: 0.7, error: 'boom', v: 1, seq: seq0 + 5, ts: ts(0.004) },
    { type: 'plugin', packetId: id, stage: 'filter', plugin: 'g', verdict: 'produced', durationUs: 0.3, produced: ['p9'], v: 1, seq: seq0 + 6, ts: ts(0.005) },
    { type: 'stage', packetId: id, stage: 'filter', phase: 'leave', durationUs: 3.1, v: 1, seq: seq0 + 7, ts: ts(0.006) },
    { type: 'outcome', packetId: id, outcome: 'blocked', totalUs: 6, plugin: 'privacy', v: 1, seq: seq0 + 8, ts: ts(0.007) },
  ] as TraceEvent[];
};

test('stage/plugin events read back from the ring as the events emit() records, in order', () => {
  const bus = new TraceBus({ capacity: 100 });
  emitPacket(bus, 'p1');
  emitPacket(bus, 'p2');
  assert.equal(bus.lastSeq, 18);
  assert.deepEqual(bus.snapshot(), [...expected('p1', 1), ...expected('p2', 10)]);
  assert.deepEqual(bus.forPacket('p2'), expected('p2', 10));
  // The export reads the same, key order included (v, seq, ts last, as emit() stamps them).
  const lines = bus.exportJsonLines().trimEnd().split('\n');
  assert.equal(lines.length, 18);
  assert.equal(lines[1], JSON.stringify(expected('p1', 1)[1]));
  assert.equal(lines[3], JSON.stringify(expected('p1', 1)[3]));
  assert.equal(lines[5], JSON.stringify(expected('p1', 1)[5]));
  assert.equal(lines[6], JSON.stringify(expected('p1', 1)[6]));
  assert.equal(lines[0], JSON.stringify(expected('p1', 1)[0]));
  assert.equal(lines[8], JSON.stringify(expected('p1', 1)[8]));
});

test('arrival and outcome keep every optional field, in the emitter\'s key order, and only those set', () => {
  const bus = new TraceBus({ capacity: 10 });
  const source = { kind: 'c2s', sessionId: 'c2s-1', jid: 'a@localhost/r', transport: 'tcp' } as const;
  const arrival: TraceEventInput = { type: 'arrival', packetId: 'p2', source, direction: 'out', kind: 'iq', stanzaType: 'get', xml: '<iq/>', bytes: 5, from: 'a@localhost/r', to: 'localhost', id: 'i1', child: 'ping', xmlns: 'urn:xmpp:ping', parentId: 'p1', producedBy: 'm' };
  const outcome: TraceEventInput = { type: 'outcome', packetId: 'p2', outcome: 'forwarded', totalUs: 12.5, to: ['b@localhost/r'], produced: ['p3'], error: 'e', plugin: 'x', reason: 'r' };
  const bare: TraceEventInput = { type: 'outcome', packetId: 'p3', outcome: 'ignored', totalUs: 0 };
  const presence: TraceEventInput = { type: 'arrival', packetId: 'p4', source: { kind: 'server' }, direction: 'in', kind: 'presence', stanzaType: 'available', xml: '<presence/>', bytes: 11 };
  for (const e of [arrival, outcome, bare, presence]) bus.emit({ ...e }, T);
  const ts = performance.timeOrigin + T;
  const want = [arrival, outcome, bare, presence].map((e, k) => ({ ...e, v: 1, seq: k + 1, ts }));
  assert.deepEqual(bus.snapshot(), want);
  assert.deepEqual(bus.exportJsonLines().trimEnd().split('\n'), want.map((e) => JSON.stringify(e)));
  // Outcomes of every kind round-trip.
  const all = ['delivered', 'forwarded', 'stored-offline', 'bounced', 'blocked', 'dropped', 'handled', 'ignored'] as const;
  for (const o of all) bus.emit({ type: 'outcome', packetId: 'q', outcome: o, totalUs: 1 }, T);
  assert.deepEqual(bus.forPacket('q').map((e) => (e.type === 'outcome' ? e.outcome : '')), [...all]);
});

test('sinceSeq and limit select by seq across a wrapped ring', () => {
  const bus = new TraceBus({ capacity: 7 });
  emitPacket(bus, 'p1');
  emitPacket(bus, 'p2'); // 18 events through a ring of 7: seq 12..18 remain
  const all = expected('p2', 10).slice(2);
  assert.deepEqual(bus.snapshot(), all);
  assert.deepEqual(bus.snapshot(15), all.slice(4));
  assert.deepEqual(bus.snapshot(0, 3), all.slice(4));
  assert.deepEqual(bus.snapshot(13, 2), all.slice(5));
  assert.deepEqual(bus.snapshot(18), []);
  assert.deepEqual(bus.snapshot(0, 0), []);
  assert.deepEqual(bus.forPacket('p1'), []);
  bus.clear();
  assert.deepEqual(bus.snapshot(), []);
  bus.stage('p3', 'process', 'enter', T);
  assert.deepEqual(bus.snapshot(), [{ type: 'stage', packetId: 'p3', stage: 'process', phase: 'enter', v: 1, seq: 19, ts: performance.timeOrigin + T }]);
});

test('subscribers receive the fast-path events as objects, in the same batches and order', async () => {
  const bus = new TraceBus({ capacity: 100, flushIntervalMs: 5 });
  const got: TraceEvent[] = [];
  const off = bus.subscribe((b) => got.push(...b));
  emitPacket(bus, 'p1');
  bus.flush();
  assert.deepEqual(got, expected('p1', 1));
  assert.deepEqual(bus.snapshot(), expected('p1', 1));
  off();
  emitPacket(bus, 'p2'); // no subscriber: back to columns
  assert.deepEqual(bus.snapshot(), [...expected('p1', 1), ...expected('p2', 10)]);
});

test('a disabled bus records nothing from the fast paths', () => {
  const bus = new TraceBus({ enabled: false });
  emitPacket(bus, 'p1');
  assert.equal(bus.lastSeq, 0);
  assert.deepEqual(bus.snapshot(), []);
});

test('the columns grow during the first lap: a huge buffer costs nothing until used, and growth keeps every event', () => {
  const before = process.memoryUsage();
  const huge = new TraceBus({ capacity: 100_000_000 });
  emitPacket(huge, 'p1');
  assert.deepEqual(huge.snapshot(), expected('p1', 1));
  const after = process.memoryUsage();
  // Preallocating 100M slots would take gigabytes; growing takes a few KB.
  assert.ok(after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers < 64 * 1024 * 1024);

  // Cross several growth steps (1024 → 2048 → 3000) and wrap.
  const bus = new TraceBus({ capacity: 3000 });
  for (let k = 0; k < 600; k++) emitPacket(bus, `p${k}`); // 5400 events
  const snap = bus.snapshot();
  assert.equal(snap.length, 3000);
  assert.deepEqual(snap.map((e) => e.seq), Array.from({ length: 3000 }, (_, k) => 2401 + k));
  assert.deepEqual(bus.forPacket('p599'), expected('p599', 5392));
});
