import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TraceThrottle } from '../../../sandbox/trace/throttle';
import type { TraceEvent } from '../../../sandbox/trace/events';

let seq = 0;
const ev = (packetId: string, type: 'arrival' | 'stage' | 'outcome'): TraceEvent =>
  ({ v: 1, seq: ++seq, ts: 0, packetId, type, ...(type === 'stage' ? { stage: 'process', phase: 'enter' } : {}) }) as unknown as TraceEvent;
const packet = (id: string) => [ev(id, 'arrival'), ev(id, 'stage'), ev(id, 'outcome')];

test('under budget every event goes through', () => {
  const t = new TraceThrottle(100);
  const batch = [...packet('p1'), ...packet('p2')];
  const r = t.filter(batch, 1000);
  assert.equal(r.events.length, 6);
  assert.equal(r.droppedPackets, 0);
});

test('over budget whole packets are left out, never parts of one, and counted', () => {
  const t = new TraceThrottle(4);
  // p1 fits (3 events), p2 starts within budget (spent 3 < 4) so all of it goes, p3 does not.
  const r = t.filter([...packet('p1'), ev('p2', 'arrival'), ev('p3', 'arrival'), ev('p2', 'stage'), ev('p3', 'stage'), ev('p2', 'outcome'), ev('p3', 'outcome')], 5000);
  assert.deepEqual(
    r.events.map((e) => `${e.packetId}:${e.type}`),
    ['p1:arrival', 'p1:stage', 'p1:outcome', 'p2:arrival', 'p2:stage', 'p2:outcome'],
  );
  assert.equal(r.droppedPackets, 1);
  // A packet that was let in keeps its events in later batches, even past the budget.
  const t2 = new TraceThrottle(1);
  t2.filter([ev('a', 'arrival')], 9000);
  const later = t2.filter([ev('b', 'arrival'), ev('a', 'outcome')], 9001);
  assert.deepEqual(later.events.map((e) => `${e.packetId}:${e.type}`), ['a:outcome']);
  assert.equal(later.droppedPackets, 1);
});

test('the budget renews every second', () => {
  const t = new TraceThrottle(3);
  assert.equal(t.filter(packet('p1'), 10_000).droppedPackets, 0);
  assert.equal(t.filter(packet('p2'), 10_500).droppedPackets, 1);
  assert.equal(t.filter(packet('p3'), 11_001).droppedPackets, 0);
});
