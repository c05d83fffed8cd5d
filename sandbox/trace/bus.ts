import { TRACE_SCHEMA_VERSION, type TraceEvent, type TraceEventInput, toJsonLine } from './events';

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

/**
 * The trace bus: a bounded ring buffer of TraceEvents plus batched subscribers.
 * Emitting is synchronous and allocation-light; delivery to subscribers is batched.
 */
export class TraceBus {
  private readonly ring: (TraceEvent | undefined)[];
  private head = 0; // next write index
  private size = 0;
  private seq = 0;
  private readonly listeners = new Set<TraceListener>();
  private pending: TraceEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  enabled: boolean;
  readonly capacity: number;
  private readonly flushIntervalMs: number;

  constructor(opts: Partial<TraceBusOptions> = {}) {
    this.capacity = Math.max(1, opts.capacity ?? 50_000);
    this.enabled = opts.enabled ?? true;
    this.flushIntervalMs = opts.flushIntervalMs ?? 50;
    this.ring = new Array(this.capacity);
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

  emit(input: TraceEventInput): void {
    if (!this.enabled) return;
    const e = input as TraceEvent;
    e.v = TRACE_SCHEMA_VERSION;
    e.seq = ++this.seq;
    e.ts = performance.timeOrigin + performance.now();
    this.ring[this.head] = e;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    if (this.listeners.size > 0) {
      this.pending.push(e);
      if (!this.timer) this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
    }
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
    const start = (this.head - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const e = this.ring[(start + i) % this.capacity]!;
      if (e.seq > sinceSeq) out.push(e);
    }
    return out.length > limit ? out.slice(out.length - limit) : out;
  }

  /** All events of one packet still in the ring. */
  forPacket(packetId: string): TraceEvent[] {
    return this.snapshot().filter((e) => e.packetId === packetId);
  }

  /** The ring as JSON lines (one event per line, trailing newline). */
  exportJsonLines(sinceSeq = 0): string {
    const events = this.snapshot(sinceSeq);
    return events.length ? events.map(toJsonLine).join('\n') + '\n' : '';
  }

  clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.size = 0;
    this.pending = [];
  }

  dispose(): void {
    this.flush();
    this.listeners.clear();
  }
}
