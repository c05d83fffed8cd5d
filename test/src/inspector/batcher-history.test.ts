// Host-side pieces of the inspector: the bounded history and the batcher.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TraceEvent } from '../../../sandbox/trace/events';
import { TraceBatcher } from '../../../src/inspector/batcher';
import { TraceHistory } from '../../../src/inspector/history';
import type { HostMessage } from '../../../src/protocol';

function events(from: number, to: number): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (let seq = from; seq <= to; seq++) out.push({ v: 1, seq, ts: seq, type: 'stage', packetId: `p${seq}`, stage: 'process', phase: 'enter' });
  return out;
}

test('history keeps at least the newest `capacity` events and ignores ones already seen', () => {
  const h = new TraceHistory(1000);
  assert.equal(h.push(events(1, 600)).length, 600);
  assert.equal(h.push(events(550, 700)).length, 100, 'overlap with a snapshot is dropped by seq');
  h.push(events(701, 5000));
  assert.ok(h.size >= 1000 && h.size <= 1100, `size ${h.size}`);
  const all = h.all();
  assert.equal(all[all.length - 1]!.seq, 5000);
  assert.equal(all[0]!.seq, 5000 - all.length + 1, 'contiguous: nothing in the middle was lost');
  const before = h.size;
  h.newSandboxRun();
  assert.equal(h.sandboxRun, 2);
  assert.equal(h.push(events(1, 3)).length, 3, 'after a restart seq starts again');
  assert.equal(h.earlierRuns()[0]!.sandboxRun, 1, 'the run before the restart is kept');
  assert.equal(h.size, before + 3);
  // The bound covers every run: the oldest run goes first.
  h.push(events(4, 900));
  assert.equal(h.size, 1000, 'trimmed back to the capacity');
  assert.equal(h.all().length, 900, 'the current run is whole while an older run can give way');
  assert.equal(h.earlierRuns()[0]!.events.length, 100, 'the earlier run gave way, its oldest events first');
  assert.equal(h.earlierRuns()[0]!.events.at(-1)!.seq, 5000);
  h.clear();
  assert.equal(h.size, 0);
  assert.deepEqual(h.earlierRuns(), []);
});

test('batcher: nothing before ready, then bounded messages on a timer, never one per event', async () => {
  const posted: HostMessage[] = [];
  const b = new TraceBatcher({ intervalMs: 20, maxPerMessage: 100, post: (m) => posted.push(m) });
  for (const e of events(1, 250)) b.add([e]);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(posted.length, 0, 'held until the webview is ready');
  b.setReady(true);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(
    posted.map((m) => (m.type === 'trace' ? m.events.length : -1)),
    [100, 100, 50],
  );
  const seqs = posted.flatMap((m) => (m.type === 'trace' ? m.events.map((e) => e.seq) : []));
  assert.deepEqual(seqs, events(1, 250).map((e) => e.seq), 'in order, none lost');
  b.add(events(251, 260));
  b.discard();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(posted.length, 3, 'discarded events are not posted');
  b.dispose();
});
