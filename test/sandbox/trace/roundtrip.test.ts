// Every event type, with every optional field set and with none, goes into the trace ring and
// comes back unchanged (snapshot, forPacket, JSON-lines export; with and without a subscriber;
// through emit() and the stage()/plugin() fast paths). The samples are typed so that a field
// added to an event type in sandbox/trace/events.ts must be added here too (tsc), and the
// checks below compare them with TRACE_COLUMNS at run time (the tests run untyped under tsx).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRACE_COLUMNS, TraceBus, type TraceEventType } from '../../../sandbox/trace/bus';
import {
  DIRECTIONS,
  OUTCOMES,
  PHASES,
  QUEUE_OPS,
  SOURCE_KINDS,
  STAGES,
  STANZA_KINDS,
  TRANSPORTS,
  TRACE_SCHEMA_VERSION,
  VERDICTS,
  type PacketSource,
  type StoredRef,
  type TraceEvent,
  type TraceEventInput,
} from '../../../sandbox/trace/events';

type EventOf<T extends TraceEventType> = Extract<TraceEvent, { type: T }>;
/** E with every optional field required (fields that are only ever undefined left out). */
type Full<E> = { [K in keyof E as [Exclude<E[K], undefined>] extends [never] ? never : K]-?: Exclude<E[K], undefined> };
type Input<E> = Omit<E, 'v' | 'seq' | 'ts'>;

const T = 2000.5; // a performance.now() value
const STAMPED = ['v', 'seq', 'ts'];

const source = { kind: 'component', sessionId: 'comp-7', jid: 'bridge.localhost', transport: 'component', queue: 'xmpp:outbox' } satisfies Full<PacketSource>;
/** The offline-store link (ArrivalEvent.stored), kept by reference. */
const stored = { packetId: 'p0', stamp: '2026-11-30T00:00:00.000Z' } satisfies Full<StoredRef>;

/** One event of every type with every optional field set, keys in TRACE_COLUMNS order. */
const FULL = {
  arrival: {
    type: 'arrival',
    packetId: 'p1',
    source,
    direction: 'out',
    kind: 'iq',
    stanzaType: 'get',
    xml: "<iq type='get' id='i1'><ping xmlns='urn:xmpp:ping'/></iq>",
    bytes: 52,
    from: 'alice@localhost/desk',
    to: 'localhost',
    id: 'i1',
    child: 'ping',
    xmlns: 'urn:xmpp:ping',
    parentId: 'p0',
    producedBy: 'message',
    stored,
    run: 'login-presence-1a2b3c',
  },
  stage: { type: 'stage', packetId: 'p1', stage: 'postprocess', phase: 'leave', durationUs: 4.25 },
  plugin: { type: 'plugin', packetId: 'p1', stage: 'process', plugin: 'iq', verdict: 'produced', durationUs: 1.5, produced: ['p2', 'p3'], reason: 'answered', error: 'none' },
  outcome: { type: 'outcome', packetId: 'p1', outcome: 'bounced', totalUs: 17.75, to: ['bob@localhost/r1', 'bob@localhost/r2'], produced: ['p2'], error: 'service-unavailable', plugin: 'iq', reason: 'no handler' },
  queue: { type: 'queue', op: 'dead-letter', key: 'xmpp:outbox', dest: 'xmpp:outbox:dead', length: 3, count: 1, client: 'worker-1', reason: 'the stanza has no "to" address', item: '<message><body>hi</body></message>' },
} satisfies { [T in TraceEventType]: Input<Full<EventOf<T>>> };

/** One event of every type with no optional field set. */
const BARE = {
  arrival: { type: 'arrival', packetId: 'p4', source: { kind: 'server' }, direction: 'in', kind: 'presence', stanzaType: 'available', xml: '<presence/>', bytes: 11 },
  stage: { type: 'stage', packetId: 'p4', stage: 'preprocess', phase: 'enter' },
  plugin: { type: 'plugin', packetId: 'p4', stage: 'filter', plugin: 'privacy', verdict: 'passed', durationUs: 0 },
  outcome: { type: 'outcome', packetId: 'p4', outcome: 'ignored', totalUs: 0 },
  queue: { type: 'queue', op: 'flush', key: '*' },
} satisfies { [T in TraceEventType]: Input<EventOf<T>> };

const TYPES = Object.keys(TRACE_COLUMNS) as TraceEventType[];
const columns = (type: TraceEventType): Record<string, { enc: string; optional?: boolean; values?: readonly string[] }> => TRACE_COLUMNS[type];

const clone = <E>(e: E): E => structuredClone(e);
/** What the ring must give back for `input`, emitted as the k-th event (seq k + 1, ts from T + k). */
const stamped = (input: TraceEventInput, k: number): TraceEvent => ({ ...clone(input), v: TRACE_SCHEMA_VERSION, seq: k + 1, ts: performance.timeOrigin + T + k }) as TraceEvent;

/**
 * Record `e` the way the pipeline would: stage and plugin events through the fast paths
 * (which keep a stage's duration on 'leave' only, so an 'enter' with one goes through emit()).
 */
function record(bus: TraceBus, e: TraceEventInput, t: number, fast: boolean): void {
  if (fast && e.type === 'stage' && (e.phase === 'leave' || e.durationUs === undefined)) bus.stage(e.packetId, e.stage, e.phase, t, e.durationUs);
  else if (fast && e.type === 'plugin') bus.plugin(e.packetId, e.stage, e.plugin, e.verdict, t, e.durationUs, e.produced, e.reason, e.error);
  else bus.emit(clone(e), t);
}

/**
 * Push `inputs` through a fresh ring and check that every way of reading it gives them back:
 * snapshot, forPacket, the JSON-lines export (parsed, and byte for byte) and a subscriber's batch.
 */
function roundTrip(inputs: readonly TraceEventInput[], opts: { subscribed: boolean; fast: boolean }): void {
  const bus = new TraceBus({ capacity: inputs.length, flushIntervalMs: 60_000 });
  const got: TraceEvent[] = [];
  if (opts.subscribed) bus.subscribe((b) => got.push(...b));
  inputs.forEach((e, k) => record(bus, e, T + k, opts.fast));
  bus.flush();
  const want = inputs.map(stamped);
  const label = `${opts.subscribed ? 'subscribed' : 'unsubscribed'}, ${opts.fast ? 'fast paths' : 'emit()'}`;

  assert.deepEqual(bus.snapshot(), want, `snapshot (${label})`);
  for (const id of new Set(inputs.flatMap((e) => e.packetId ?? []))) {
    assert.deepEqual(
      bus.forPacket(id),
      want.filter((e) => e.packetId === id),
      `forPacket ${id} (${label})`,
    );
  }
  const lines = bus.exportJsonLines().trimEnd().split('\n');
  assert.deepEqual(lines.map((l) => JSON.parse(l)), want, `export (${label})`);
  // Byte for byte, key order included: the inputs are written in TRACE_COLUMNS order.
  assert.deepEqual(lines, want.map((e) => JSON.stringify(e)), `export bytes (${label})`);
  for (const [k, e] of bus.snapshot().entries()) {
    const present = Object.keys(columns(e.type)).filter((key) => key in e);
    assert.deepEqual(Object.keys(e), present, `key order of ${e.type} (${label}) follows TRACE_COLUMNS`);
    assert.deepEqual(Object.keys(e), Object.keys(want[k]!), `keys of ${e.type} (${label})`);
  }
  if (opts.subscribed) {
    assert.deepEqual(got, want, `subscriber (${label})`);
    // A subscriber (the inspector) and the export read the same bytes.
    assert.deepEqual(got.map((e) => JSON.stringify(e)), lines, `subscriber bytes (${label})`);
  } else assert.equal(got.length, 0);
}

const MODES = [
  { subscribed: false, fast: false },
  { subscribed: true, fast: false },
  { subscribed: false, fast: true },
  { subscribed: true, fast: true },
];

test('the samples cover every event type and every field TRACE_COLUMNS declares, in its order', () => {
  assert.deepEqual(Object.keys(FULL), TYPES);
  assert.deepEqual(Object.keys(BARE), TYPES);
  for (const type of TYPES) {
    const cols = columns(type);
    // FULL: every field but the ones the bus stamps (queue's packetId is never set).
    const settable = Object.keys(cols).filter((k) => !STAMPED.includes(k) && !(type === 'queue' && k === 'packetId'));
    assert.deepEqual(Object.keys(FULL[type]), settable, `FULL.${type}`);
    // BARE: the required fields only.
    assert.deepEqual(
      Object.keys(BARE[type]),
      settable.filter((k) => cols[k]!.optional !== true),
      `BARE.${type}`,
    );
    for (const k of STAMPED) assert.ok(k in cols, `${type}.${k}`);
  }
  assert.deepEqual(Object.keys(source), ['kind', 'sessionId', 'jid', 'transport', 'queue']);
  assert.deepEqual(Object.keys(stored), ['packetId', 'stamp']);
});

test('one event of every type, with every optional field and with none, reads back as emitted', () => {
  const all: TraceEventInput[] = [...TYPES.map((t) => FULL[t]), ...TYPES.map((t) => BARE[t])];
  for (const mode of MODES) roundTrip(all, mode);
});

test('an event read back holds exactly the input: nothing added, nothing dropped, across a wrapped ring', () => {
  // Slots reused by events of other types must not leak a previous event's fields.
  const bus = new TraceBus({ capacity: 3 });
  const order: TraceEventInput[] = [FULL.arrival, FULL.outcome, FULL.plugin, BARE.arrival, BARE.outcome, BARE.plugin, BARE.stage, BARE.queue, FULL.queue];
  order.forEach((e, k) => record(bus, e, T + k, false));
  assert.deepEqual(bus.snapshot(), order.map(stamped).slice(-3));
});

test('every member of every union round-trips, in every field that holds it', () => {
  let fields = 0;
  for (const type of TYPES) {
    for (const [key, codec] of Object.entries(columns(type))) {
      if (codec.enc !== 'enum') continue;
      fields++;
      const inputs = codec.values!.map((value) => ({ ...FULL[type], [key]: value }) as TraceEventInput);
      for (const mode of MODES) roundTrip(inputs, mode);
    }
  }
  // direction, kind; stage, phase; stage, verdict; outcome; op
  assert.equal(fields, 8);
  // The unions inside PacketSource, kept by reference.
  const sources: TraceEventInput[] = SOURCE_KINDS.flatMap((kind) => TRANSPORTS.map((transport) => ({ ...FULL.arrival, source: { ...source, kind, transport } })));
  for (const mode of MODES) roundTrip(sources, mode);
});

test('the enum columns index the const arrays of events.ts', () => {
  assert.equal(TRACE_COLUMNS.arrival.direction.values, DIRECTIONS);
  assert.equal(TRACE_COLUMNS.arrival.kind.values, STANZA_KINDS);
  assert.equal(TRACE_COLUMNS.stage.stage.values, STAGES);
  assert.equal(TRACE_COLUMNS.stage.phase.values, PHASES);
  assert.equal(TRACE_COLUMNS.plugin.stage.values, STAGES);
  assert.equal(TRACE_COLUMNS.plugin.verdict.values, VERDICTS);
  assert.equal(TRACE_COLUMNS.outcome.outcome.values, OUTCOMES);
  assert.equal(TRACE_COLUMNS.queue.op.values, QUEUE_OPS);
});

test('a value outside its union throws and records nothing, even over the oldest event of a full ring', () => {
  for (const type of TYPES) {
    for (const [key, codec] of Object.entries(columns(type))) {
      if (codec.enc !== 'enum') continue;
      for (const subscribed of [false, true]) {
        const bus = new TraceBus({ capacity: 2, flushIntervalMs: 60_000 });
        const got: TraceEvent[] = [];
        if (subscribed) bus.subscribe((b) => got.push(...b));
        bus.emit(clone(FULL.arrival), T);
        bus.emit(clone(FULL.outcome), T + 1);
        const before = bus.exportJsonLines();
        assert.throws(() => bus.emit({ ...FULL[type], [key]: 'not-a-member' } as TraceEventInput, T + 2), { name: 'TypeError', message: new RegExp(`${type}\\.${key}: "not-a-member" is not one of`) });
        assert.equal(bus.lastSeq, 2);
        assert.equal(bus.exportJsonLines(), before, `${type}.${key}`);
        bus.flush();
        assert.equal(got.length, subscribed ? 2 : 0);
      }
    }
  }
  const bus = new TraceBus({ capacity: 1 });
  bus.stage('p1', 'process', 'enter', T);
  const before = bus.exportJsonLines();
  assert.throws(() => bus.stage('p2', 'nowhere' as never, 'enter', T), TypeError);
  assert.throws(() => bus.stage('p2', 'process', 'halfway' as never, T), TypeError);
  assert.throws(() => bus.plugin('p2', 'process', 'x', 'shrugged' as never, T, 1), TypeError);
  assert.throws(() => bus.emit({ type: 'bogus' } as never, T), TypeError);
  assert.equal(bus.lastSeq, 1);
  assert.equal(bus.exportJsonLines(), before);
});
