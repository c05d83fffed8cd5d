import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TraceBus } from '../../../sandbox/trace/bus';
import type { TraceEvent } from '../../../sandbox/trace/events';

const stage = (packetId: string) => ({ type: 'stage', packetId, stage: 'process', phase: 'enter' }) as const;

test('the ring keeps the newest events, oldest first, with increasing seq', () => {
  const bus = new TraceBus({ capacity: 3 });
  for (let i = 1; i <= 5; i++) bus.emit(stage(`p${i}`));
  const snap = bus.snapshot();
  assert.deepEqual(snap.map((e) => e.packetId), ['p3', 'p4', 'p5']);
  assert.deepEqual(snap.map((e) => e.seq), [3, 4, 5]);
  assert.equal(snap[0]!.v, 1);
  assert.deepEqual(bus.snapshot(4).map((e) => e.packetId), ['p5']);
  assert.deepEqual(bus.snapshot(0, 2).map((e) => e.packetId), ['p4', 'p5']);
});

test('subscribers receive batches, not one call per event', async () => {
  const bus = new TraceBus({ capacity: 100, flushIntervalMs: 10 });
  const batches: (readonly TraceEvent[])[] = [];
  const off = bus.subscribe((b) => batches.push(b));
  for (let i = 0; i < 50; i++) bus.emit(stage(`p${i}`));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(batches.length, 1);
  assert.equal(batches[0]!.length, 50);
  off();
  bus.emit(stage('late'));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(batches.length, 1, 'no delivery after unsubscribe');
});

test('a throwing subscriber does not stop the others', async () => {
  const bus = new TraceBus({ flushIntervalMs: 1 });
  let got = 0;
  bus.subscribe(() => {
    throw new Error('boom');
  });
  bus.subscribe((b) => (got += b.length));
  bus.emit(stage('p1'));
  bus.flush();
  assert.equal(got, 1);
});

test('disabled bus records nothing; export is JSON lines of the ring', () => {
  const off = new TraceBus({ enabled: false });
  off.emit(stage('p1'));
  assert.equal(off.snapshot().length, 0);
  assert.equal(off.exportJsonLines(), '');

  const bus = new TraceBus();
  bus.emit(stage('p1'));
  bus.emit(stage('p2'));
  const lines = bus.exportJsonLines().trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.deepEqual(lines.map((l) => JSON.parse(l).packetId), ['p1', 'p2']);
  assert.equal(bus.forPacket('p2').length, 1);
  bus.clear();
  assert.equal(bus.snapshot().length, 0);
});
