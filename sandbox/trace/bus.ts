import { STAGES, TRACE_SCHEMA_VERSION, type ArrivalEvent, type Outcome, type OutcomeEvent, type PacketSource, type PluginEvent, type Stage, type StanzaKind, type TraceEvent, type TraceEventInput, type Verdict, toJsonLine } from './events';

export type TraceListener = (events: readonly TraceEvent[]) => void;

export interface TraceBusOptions {
  /** Ring buffer capacity in events (oldest dropped first). */
  capacity: number;
  /** When false, emit() is a no-op: the pipeline pays only a branch. */
  enabled: boolean;
  /**
   * Subscribers get events in batches, flushed at most this often (ms). Batching is what
   * keeps a busy sandbox from posting one IPC/webview message per event.
   */
  flushIntervalMs: number;
}

// How a ring slot holds its event. Packet events (arrival, stage, plugin, outcome) are kept
// as columns, not objects: a full ring of 50,000 objects that all outlive a scavenge is
// what made the garbage collector the biggest cost of tracing (every event copied,
// promoted to old space, then mark-swept). The object is built only when someone reads
// the ring (snapshot, export); subscribers get objects as before. Queue events (and any
// event emitted while someone is subscribed) stay objects.
const SLOT_OBJECT = 0;
const SLOT_STAGE = 1;
const SLOT_PLUGIN = 2;
const SLOT_ARRIVAL = 3;
const SLOT_OUTCOME = 4;

const KINDS: readonly StanzaKind[] = ['message', 'presence', 'iq'];
const OUTCOMES: readonly Outcome[] = ['delivered', 'forwarded', 'stored-offline', 'bounced', 'blocked', 'dropped', 'handled', 'ignored'];
/** String columns per slot: arrival uses all, outcome the first three. */
const STR_COLUMNS = 9;
type ArrivalInput = Omit<ArrivalEvent, 'v' | 'seq' | 'ts'>;
type OutcomeInput = Omit<OutcomeEvent, 'v' | 'seq' | 'ts'>;

const VERDICTS: readonly Verdict[] = ['passed', 'blocked', 'handled', 'produced', 'dropped', 'error', 'queue-full'];
const stageCode = (s: Stage): number => (s === 'preprocess' ? 0 : s === 'process' ? 1 : s === 'postprocess' ? 2 : 3);
const verdictCode = (v: Verdict): number => {
  const i = VERDICTS.indexOf(v);
  return i < 0 ? 0 : i;
};

const INITIAL_SLOTS = 1024;

/** A packed (non-holey, non-dictionary) array of `n` undefined slots. */
function slots<T>(n: number): (T | undefined)[] {
  const a: (T | undefined)[] = [];
  for (let i = 0; i < n; i++) a.push(undefined);
  return a;
}

/**
 * The trace bus: a bounded ring buffer of TraceEvents plus batched subscribers.
 * Emitting is synchronous and allocation-light; delivery to subscribers is batched.
 */
export class TraceBus {
  // The ring, as columns indexed by slot. `seq` is not stored: the ring always holds the
  // last `size` events emitted, so a slot's seq follows from its distance to `head`.
  private slotKind: Uint8Array;
  /** Stage events: stage | (leave ? 4 : 0); plugin events: stage | verdict << 2. */
  private slotCode: Uint8Array;
  private slotTs: Float64Array;
  /** durationUs (NaN: none). */
  private slotDur: Float64Array;
  private readonly slotPacket: (string | undefined)[];
  private readonly slotPlugin: (string | undefined)[];
  private readonly slotEvent: (TraceEvent | undefined)[];
  /** Arrival: source; outcome: to. */
  private readonly slotRef: (PacketSource | string[] | undefined)[];
  /** Outcome and plugin: produced. */
  private readonly slotRef2: (string[] | undefined)[];
  /** Arrival: stanzaType, xml, from, to, id, child, xmlns, parentId, producedBy; outcome: error, plugin, reason; plugin: reason, error. */
  private readonly slotStr: (string | undefined)[][] = [];
  /** Slots the columns have room for (grows to `capacity`). */
  private allocated: number;
  private head = 0; // next write index
  private size = 0;
  private seq = 0;
  private readonly listeners = new Set<TraceListener>();
  private pending: TraceEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  enabled: boolean;
  readonly capacity: number;
  private readonly flushIntervalMs: number;
  private readonly timeOrigin = performance.timeOrigin;

  constructor(opts: Partial<TraceBusOptions> = {}) {
    this.capacity = Math.max(1, opts.capacity ?? 50_000);
    this.enabled = opts.enabled ?? true;
    this.flushIntervalMs = opts.flushIntervalMs ?? 50;
    // Columns start small and grow (doubling) during the ring's first lap: a large
    // configured buffer costs memory only once it is used.
    const n = Math.min(this.capacity, INITIAL_SLOTS);
    this.allocated = n;
    this.slotKind = new Uint8Array(n);
    this.slotCode = new Uint8Array(n);
    this.slotTs = new Float64Array(n);
    this.slotDur = new Float64Array(n);
    this.slotPacket = slots(n);
    this.slotPlugin = slots(n);
    this.slotEvent = slots(n);
    this.slotRef = slots(n);
    this.slotRef2 = slots(n);
    for (let c = 0; c < STR_COLUMNS; c++) this.slotStr.push(slots(n));
  }

  /** Cheap check so emitters can skip building events (e.g. serialising XML) when off. */
  get active(): boolean {
    return this.enabled;
  }

  get hasSubscribers(): boolean {
    return this.listeners.size > 0;
  }

  /** Last sequence number handed out (0 before the first event). */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Record an event; the bus stamps v, seq and ts. `t` is the event's `performance.now()`
   * when the emitter already took it (for a duration), so ts and the duration agree.
   */
  emit(input: TraceEventInput, t: number = performance.now()): void {
    if (!this.enabled) return;
    if (this.listeners.size === 0) {
      if (input.type === 'arrival') return this.putArrival(input, t);
      if (input.type === 'outcome') return this.putOutcome(input, t);
    }
    const e = input as TraceEvent;
    e.v = TRACE_SCHEMA_VERSION;
    e.seq = ++this.seq;
    e.ts = this.timeOrigin + t;
    this.putObject(e);
  }

  /**
   * A stage event (the same as emit({ type: 'stage', ... })), recorded without allocating.
   * `t` is performance.now() at the event; `durationUs` only on 'leave'.
   */
  stage(packetId: string, stage: Stage, phase: 'enter' | 'leave', t: number, durationUs?: number): void {
    if (!this.enabled) return;
    const seq = ++this.seq;
    const ts = this.timeOrigin + t;
    if (this.listeners.size > 0) {
      // Subscribers need objects anyway: build the final shape in one go.
      this.putObject(
        phase === 'leave'
          ? { type: 'stage', packetId, stage, phase, durationUs: durationUs ?? 0, v: TRACE_SCHEMA_VERSION, seq, ts }
          : { type: 'stage', packetId, stage, phase, v: TRACE_SCHEMA_VERSION, seq, ts },
      );
      return;
    }
    const i = this.head;
    if (i === this.allocated) this.grow();
    this.slotKind[i] = SLOT_STAGE;
    this.slotCode[i] = stageCode(stage) | (phase === 'leave' ? 4 : 0);
    this.slotTs[i] = ts;
    this.slotDur[i] = phase === 'leave' ? (durationUs ?? 0) : NaN;
    this.slotPacket[i] = packetId;
    this.slotEvent[i] = undefined;
    this.advance();
  }

  /**
   * A plugin event (the same as emit({ type: 'plugin', ... })), recorded without allocating.
   * `t` is performance.now() at the event; produced/reason/error only when set.
   */
  plugin(packetId: string, stage: Stage, plugin: string, verdict: Verdict, t: number, durationUs: number, produced?: string[] | null, reason?: string, error?: string): void {
    if (!this.enabled) return;
    const seq = ++this.seq;
    const ts = this.timeOrigin + t;
    if (this.listeners.size > 0) {
      if (produced || reason || error) {
        const e: PluginEvent = { type: 'plugin', packetId, stage, plugin, verdict, durationUs } as PluginEvent;
        if (produced) e.produced = produced;
        if (reason) e.reason = reason;
        if (error) e.error = error;
        e.v = TRACE_SCHEMA_VERSION;
        e.seq = seq;
        e.ts = ts;
        this.putObject(e);
      } else this.putObject({ type: 'plugin', packetId, stage, plugin, verdict, durationUs, v: TRACE_SCHEMA_VERSION, seq, ts });
      return;
    }
    const i = this.head;
    if (i === this.allocated) this.grow();
    this.slotKind[i] = SLOT_PLUGIN;
    this.slotCode[i] = stageCode(stage) | (verdictCode(verdict) << 2);
    this.slotTs[i] = ts;
    this.slotDur[i] = durationUs;
    this.slotPacket[i] = packetId;
    this.slotPlugin[i] = plugin;
    this.slotRef2[i] = produced || undefined;
    this.slotStr[0]![i] = reason || undefined;
    this.slotStr[1]![i] = error || undefined;
    this.slotEvent[i] = undefined;
    this.advance();
  }

  private putArrival(e: ArrivalInput, t: number): void {
    ++this.seq;
    const i = this.head;
    if (i === this.allocated) this.grow();
    const str = this.slotStr;
    this.slotKind[i] = SLOT_ARRIVAL;
    this.slotCode[i] = (e.direction === 'out' ? 1 : 0) | (e.kind === 'message' ? 0 : e.kind === 'presence' ? 2 : 4);
    this.slotTs[i] = this.timeOrigin + t;
    this.slotDur[i] = e.bytes;
    this.slotPacket[i] = e.packetId;
    this.slotRef[i] = e.source;
    str[0]![i] = e.stanzaType;
    str[1]![i] = e.xml;
    str[2]![i] = e.from;
    str[3]![i] = e.to;
    str[4]![i] = e.id;
    str[5]![i] = e.child;
    str[6]![i] = e.xmlns;
    str[7]![i] = e.parentId;
    str[8]![i] = e.producedBy;
    this.slotEvent[i] = undefined;
    this.advance();
  }

  private putOutcome(e: OutcomeInput, t: number): void {
    ++this.seq;
    const i = this.head;
    if (i === this.allocated) this.grow();
    const str = this.slotStr;
    const code = OUTCOMES.indexOf(e.outcome);
    this.slotKind[i] = SLOT_OUTCOME;
    this.slotCode[i] = code < 0 ? 0 : code;
    this.slotTs[i] = this.timeOrigin + t;
    this.slotDur[i] = e.totalUs;
    this.slotPacket[i] = e.packetId;
    this.slotRef[i] = e.to;
    this.slotRef2[i] = e.produced;
    str[0]![i] = e.error;
    str[1]![i] = e.plugin;
    str[2]![i] = e.reason;
    this.slotEvent[i] = undefined;
    this.advance();
  }

  private putObject(e: TraceEvent): void {
    const i = this.head;
    if (i === this.allocated) this.grow();
    this.slotKind[i] = SLOT_OBJECT;
    this.slotPacket[i] = e.packetId;
    this.slotEvent[i] = e;
    this.advance();
    if (this.listeners.size > 0) {
      this.pending.push(e);
      if (!this.timer) this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
    }
  }

  private grow(): void {
    const n = Math.min(this.capacity, this.allocated * 2);
    const wider = <T extends Uint8Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
    this.slotKind = wider(this.slotKind, new Uint8Array(n));
    this.slotCode = wider(this.slotCode, new Uint8Array(n));
    this.slotTs = wider(this.slotTs, new Float64Array(n));
    this.slotDur = wider(this.slotDur, new Float64Array(n));
    for (const col of [this.slotPacket, this.slotPlugin, this.slotEvent, this.slotRef, this.slotRef2, ...this.slotStr] as unknown[][]) {
      for (let k = col.length; k < n; k++) col.push(undefined);
    }
    this.allocated = n;
  }

  private advance(): void {
    const next = this.head + 1;
    this.head = next === this.capacity ? 0 : next;
    if (this.size < this.capacity) this.size++;
  }

  /** The event in ring slot `i`, whose sequence number is `seq`. */
  private eventAt(i: number, seq: number): TraceEvent {
    const kind = this.slotKind[i];
    if (kind === SLOT_OBJECT) return this.slotEvent[i]!;
    const code = this.slotCode[i]!;
    const packetId = this.slotPacket[i]!;
    const ts = this.slotTs[i]!;
    const v = TRACE_SCHEMA_VERSION;
    // Optional keys in the order the pipeline adds them, absent when unset.
    if (kind === SLOT_ARRIVAL) {
      const str = this.slotStr;
      const e: Partial<ArrivalEvent> = { type: 'arrival', packetId, source: this.slotRef[i] as PacketSource, direction: code & 1 ? 'out' : 'in', kind: KINDS[code >> 1]!, stanzaType: str[0]![i]!, xml: str[1]![i]!, bytes: this.slotDur[i]! };
      if (str[2]![i] !== undefined) e.from = str[2]![i];
      if (str[3]![i] !== undefined) e.to = str[3]![i];
      if (str[4]![i] !== undefined) e.id = str[4]![i];
      if (str[5]![i] !== undefined) e.child = str[5]![i];
      if (str[6]![i] !== undefined) e.xmlns = str[6]![i];
      if (str[7]![i] !== undefined) e.parentId = str[7]![i];
      if (str[8]![i] !== undefined) e.producedBy = str[8]![i];
      e.v = v;
      e.seq = seq;
      e.ts = ts;
      return e as ArrivalEvent;
    }
    if (kind === SLOT_OUTCOME) {
      const str = this.slotStr;
      const e: Partial<OutcomeEvent> = { type: 'outcome', packetId, outcome: OUTCOMES[code]!, totalUs: this.slotDur[i]! };
      if (this.slotRef[i] !== undefined) e.to = this.slotRef[i] as string[];
      if (this.slotRef2[i] !== undefined) e.produced = this.slotRef2[i];
      if (str[0]![i] !== undefined) e.error = str[0]![i];
      if (str[1]![i] !== undefined) e.plugin = str[1]![i];
      if (str[2]![i] !== undefined) e.reason = str[2]![i];
      e.v = v;
      e.seq = seq;
      e.ts = ts;
      return e as OutcomeEvent;
    }
    const stage = STAGES[code & 3]!;
    // Same key order as an emitted object (the bus's v/seq/ts last), so exports read the same.
    if (kind === SLOT_STAGE) {
      return code & 4
        ? { type: 'stage', packetId, stage, phase: 'leave', durationUs: this.slotDur[i]!, v: TRACE_SCHEMA_VERSION, seq, ts }
        : { type: 'stage', packetId, stage, phase: 'enter', v: TRACE_SCHEMA_VERSION, seq, ts };
    }
    const produced = this.slotRef2[i];
    const reason = this.slotStr[0]![i];
    const error = this.slotStr[1]![i];
    if (produced === undefined && reason === undefined && error === undefined) {
      return { type: 'plugin', packetId, stage, plugin: this.slotPlugin[i]!, verdict: VERDICTS[code >> 2]!, durationUs: this.slotDur[i]!, v, seq, ts };
    }
    const e = { type: 'plugin', packetId, stage, plugin: this.slotPlugin[i]!, verdict: VERDICTS[code >> 2]!, durationUs: this.slotDur[i]! } as PluginEvent;
    if (produced !== undefined) e.produced = produced;
    if (reason !== undefined) e.reason = reason;
    if (error !== undefined) e.error = error;
    e.v = v;
    e.seq = seq;
    e.ts = ts;
    return e;
  }

  /** Deliver pending events to subscribers now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const l of this.listeners) {
      try {
        l(batch);
      } catch {
        // A faulty subscriber must not break tracing for the others.
      }
    }
  }

  /** Subscribe to batches of new events; returns the unsubscribe function. */
  subscribe(listener: TraceListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.pending = [];
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
      }
    };
  }

  /** Events still in the ring, oldest first; `sinceSeq` keeps only newer ones, `limit` the newest N. */
  snapshot(sinceSeq = 0, limit = Infinity): TraceEvent[] {
    const out: TraceEvent[] = [];
    const firstSeq = this.seq - this.size + 1; // seq of the oldest event in the ring
    let from = Math.max(0, sinceSeq - firstSeq + 1);
    if (limit < this.size - from) from = this.size - Math.max(0, Math.ceil(limit));
    const start = this.head - this.size + this.capacity;
    for (let k = from; k < this.size; k++) out.push(this.eventAt((start + k) % this.capacity, firstSeq + k));
    return out;
  }

  /** All events of one packet still in the ring. */
  forPacket(packetId: string): TraceEvent[] {
    const out: TraceEvent[] = [];
    const firstSeq = this.seq - this.size + 1;
    const start = this.head - this.size + this.capacity;
    for (let k = 0; k < this.size; k++) {
      const i = (start + k) % this.capacity;
      if (this.slotPacket[i] === packetId) out.push(this.eventAt(i, firstSeq + k));
    }
    return out;
  }

  /** The ring as JSON lines (one event per line, trailing newline). */
  exportJsonLines(sinceSeq = 0): string {
    const events = this.snapshot(sinceSeq);
    return events.length ? events.map(toJsonLine).join('\n') + '\n' : '';
  }

  clear(): void {
    // Let go of what the ring held (objects, packet ids); the typed columns hold no references.
    this.slotEvent.fill(undefined);
    this.slotPacket.fill(undefined);
    this.slotPlugin.fill(undefined);
    this.slotRef.fill(undefined);
    this.slotRef2.fill(undefined);
    for (const col of this.slotStr) col.fill(undefined);
    this.head = 0;
    this.size = 0;
    this.pending = [];
  }

  dispose(): void {
    this.flush();
    this.listeners.clear();
  }
}
