// The host's bounded trace history: at least the newest HOST_HISTORY_MAX_EVENTS events (at most 10% more), so a webview
// that (re)loads — after a reload, or when a hidden panel is shown again — can be refilled
// without retainContextWhenHidden. VS Code-free.

import type { TraceEvent } from '../../sandbox/trace/events';

export class TraceHistory {
  private events: TraceEvent[] = [];
  private lastSeqSeen = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.events.length;
  }

  get lastSeq(): number {
    return this.lastSeqSeen;
  }

  /** Append events newer than the last one kept (a snapshot and live batches may overlap); returns those appended. */
  push(events: readonly TraceEvent[]): TraceEvent[] {
    const fresh = events.filter((e) => e.seq > this.lastSeqSeen);
    if (fresh.length === 0) return fresh;
    this.lastSeqSeen = fresh[fresh.length - 1]!.seq;
    this.events.push(...fresh);
    // Keep at least the newest `capacity` events; trim in steps (up to 10% over) so a full
    // history costs one copy per capacity/10 events, not one per event.
    if (this.events.length > this.capacity + Math.ceil(this.capacity / 10)) this.events = this.events.slice(this.events.length - this.capacity);
    return fresh;
  }

  all(): readonly TraceEvent[] {
    return this.events;
  }

  clear(): void {
    this.events = [];
  }

  /** The sandbox restarted: sequence numbers and packet ids start again. */
  reset(): void {
    this.events = [];
    this.lastSeqSeen = 0;
  }
}
