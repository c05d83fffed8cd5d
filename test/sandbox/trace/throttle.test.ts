import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TraceThrottle } from '../../../sandbox/trace/throttle';
import type { TraceEvent } from '../../../sandbox/trace/events';

let seq = 0;
const ev = (packetId: string, type: 'arrival' | 'plugin' | 'outcome'): TraceEvent =>
  ({ v: 1, seq: ++seq, ts: 0, packetId, type, ...(type === 'plugin' ? { stage: 'process', plugin: 'message', verdict: 'passed', durationUs: 1 } : {}) }) as unknown as TraceEvent;
const packet = (id: string) => [ev(id, 'arrival'), ev(id, 'plugin'), ev(id, 'outcome')];

test('under budget every event goes through', () => {
  const t = new TraceThrottle(2);
  const batch = [...packet('p1'), ...packet('p2')];
  const r = t.filter(batch, 1000);
  assert.equal(r.events.length, 6);
  assert.equal(r.droppedPackets, 0);
});

test('the budget counts packets, not events: over it whole packets are left out, never parts of one, and counted', () => {
  const t = new TraceThrottle(2);
  const r = t.filter([...packet('p1'), ev('p2', 'arrival'), ev('p3', 'arrival'), ev('p2', 'plugin'), ev('p3', 'plugin'), ev('p2', 'outcome'), ev('p3', 'outcome')], 5000);
  assert.deepEqual(
    r.events.map((e) => `${e.packetId}:${e.type}`),
    ['p1:arrival', 'p1:plugin', 'p1:outcome', 'p2:arrival', 'p2:plugin', 'p2:outcome'],
  );
  assert.equal(r.droppedPackets, 1);
  // A packet that was let in keeps its events in later batches, even past the budget.
  const t2 = new TraceThrottle(1);
  t2.filter([ev('a', 'arrival')], 9000);
  const later = t2.filter([ev('b', 'arrival'), ev('a', 'outcome')], 9001);
  assert.deepEqual(later.events.map((e) => `${e.packetId}:${e.type}`), ['a:outcome']);
  assert.equal(later.droppedPackets, 1);
  // b's outcome, in a later window with budget to spare, is still left out: b was.
  assert.deepEqual(t2.filter([ev('b', 'outcome'), ...packet('c')], 10_500).events.map((e) => `${e.packetId}:${e.type}`), ['c:arrival', 'c:plugin', 'c:outcome']);
});

test('the budget renews every second', () => {
  const t = new TraceThrottle(1);
  assert.equal(t.filter(packet('p1'), 10_000).droppedPackets, 0);
  assert.equal(t.filter(packet('p2'), 10_500).droppedPackets, 1);
  assert.equal(t.filter(packet('p3'), 11_001).droppedPackets, 0);
});
