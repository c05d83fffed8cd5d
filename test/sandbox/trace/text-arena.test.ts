// The ring copies every string field into its text arena (sandbox/trace/bus.ts, TextArena):
// texts of every length, any UTF-16 content (lone surrogates included), lists, and the arena
// growing and going round while the ring laps, must all come back exactly as emitted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TraceBus } from '../../../sandbox/trace/bus';
import type { TraceEventInput } from '../../../sandbox/trace/events';

/** A fixed pseudo-random sequence (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'ü', '✓', '😀', '\ud800', '\udfff', '<', '"', '\\', ' ', 'z'];

function text(rnd: () => number, max: number): string {
  const n = Math.floor(rnd() * rnd() * max);
  let s = '';
  for (let k = 0; k < n; k++) s += PIECES[Math.floor(rnd() * PIECES.length)]!;
  return s;
}

function events(count: number, seed: number): TraceEventInput[] {
  const rnd = random(seed);
  const out: TraceEventInput[] = [];
  for (let k = 0; k < count; k++) {
    const packetId = `p${k}`;
    switch (k % 4) {
      case 0: {
        const xml = `<message>${text(rnd, k % 50 === 0 ? 40_000 : 300)}</message>`;
        out.push({ type: 'arrival', packetId, source: { kind: 'server' }, direction: 'in', kind: 'message', stanzaType: 'chat', xml, bytes: Buffer.byteLength(xml), ...(rnd() < 0.5 ? { from: text(rnd, 40) } : {}), ...(rnd() < 0.5 ? { id: '' } : {}) });
        break;
      }
      case 1:
        out.push({ type: 'plugin', packetId, stage: 'process', plugin: text(rnd, 20), verdict: 'produced', durationUs: k, ...(rnd() < 0.7 ? { produced: Array.from({ length: Math.floor(rnd() * 3) }, (_, j) => `p${k}.${j}`) } : {}) });
        break;
      case 2:
        out.push({ type: 'outcome', packetId, outcome: 'delivered', totalUs: k, to: rnd() < 0.2 ? [] : [text(rnd, 30) || 'x', 'b@localhost/r'], ...(rnd() < 0.3 ? { reason: text(rnd, 100) } : {}) });
        break;
      default:
        out.push({ type: 'queue', op: 'push', key: text(rnd, 60), ...(rnd() < 0.5 ? { client: '#1' } : {}) });
    }
  }
  return out;
}

test('texts of every length and content come back exactly while the ring and its arena go round', () => {
  for (const capacity of [1, 3, 7, 100, 2000]) {
    const bus = new TraceBus({ capacity });
    const all = events(3000, capacity);
    all.forEach((e, k) => {
      bus.emit(structuredClone(e), 1000 + k);
      // Checked along the way too: the arena grows and wraps at different moments than the ring.
      if (k % 97 === 0 || k === all.length - 1) {
        const kept = all.slice(Math.max(0, k + 1 - capacity), k + 1);
        const snap = bus.snapshot();
        assert.equal(snap.length, kept.length, `capacity ${capacity}, after ${k + 1} events`);
        snap.forEach((got, j) => {
          const { v, seq, ts, ...rest } = got;
          assert.equal(v, 1);
          assert.equal(seq, k + 2 - kept.length + j);
          assert.equal(ts, performance.timeOrigin + 1000 + (seq - 1));
          assert.deepEqual(rest, kept[j], `capacity ${capacity}, event seq ${seq}`);
        });
      }
    });
    // forPacket compares ids in place: the newest packet is found, an evicted one is not.
    const last = all[all.length - 1]!;
    if (last.packetId) assert.equal(bus.forPacket(last.packetId).length, 1);
    if (capacity < all.length) assert.deepEqual(bus.forPacket('p0'), []);
  }
});

test('forPacket matches whole ids only: p1 is not p12, nor p12 p1', () => {
  const bus = new TraceBus({ capacity: 10 });
  for (const packetId of ['p12', 'p1', 'p12', 'p123']) bus.emit({ type: 'stage', packetId, stage: 'filter', phase: 'enter' });
  assert.deepEqual(bus.forPacket('p1').map((e) => e.seq), [2]);
  assert.deepEqual(bus.forPacket('p12').map((e) => e.seq), [1, 3]);
  assert.deepEqual(bus.forPacket('p'), []);
});

test('clear() lets go of the texts; what is emitted next reads back alone', () => {
  const bus = new TraceBus({ capacity: 5 });
  for (const e of events(40, 9)) bus.emit(e);
  bus.clear();
  assert.deepEqual(bus.snapshot(), []);
  bus.emit({ type: 'queue', op: 'pop', key: 'jobs ✓', client: '#2' }, 5);
  const [e] = bus.snapshot();
  assert.deepEqual({ ...e, ts: 0 }, { type: 'queue', op: 'pop', key: 'jobs ✓', client: '#2', v: 1, seq: 41, ts: 0 });
});
