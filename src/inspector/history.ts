// The host's bounded trace history: at least the newest HOST_HISTORY_MAX_EVENTS events (at most 10% more), so a webview
// that (re)loads — after a reload, or when a hidden panel is shown again — can be refilled
// without retainContextWhenHidden. Earlier sandbox runs are kept beside the current one (a
// restart does not empty the inspector) within the same bound, oldest run trimmed first,
// until the user clears the list. VS Code-free.

import type { TraceEvent } from '../../sandbox/trace/events';

/** The events of one sandbox run that ended. */
export interface EarlierRun {
  readonly sandboxRun: number;
  events: TraceEvent[];
}

export class TraceHistory {
  private events: TraceEvent[] = [];
  private lastSeqSeen = 0;
  private earlier: EarlierRun[] = [];
  private runNumber = 1;

  constructor(readonly capacity: number) {}

  /** Events kept, every run included. */
  get size(): number {
    return this.events.length + this.earlier.reduce((n, r) => n + r.events.length, 0);
  }

  get lastSeq(): number {
    return this.lastSeqSeen;
  }

  /** The current run's number (1 for the first this history saw). */
  get sandboxRun(): number {
    return this.runNumber;
  }

  /** Append events newer than the last one kept (a snapshot and live batches may overlap); returns those appended. */
  push(events: readonly TraceEvent[]): TraceEvent[] {
    const fresh = events.filter((e) => e.seq > this.lastSeqSeen);
    if (fresh.length === 0) return fresh;
    this.lastSeqSeen = fresh[fresh.length - 1]!.seq;
    // A loop, not push(...fresh): a batch can hold more events than a call has arguments.
    for (const e of fresh) this.events.push(e);
    // Keep at least the newest `capacity` events; trim in steps (up to 10% over) so a full
    // history costs one copy per capacity/10 events, not one per event.
    if (this.size > this.capacity + Math.ceil(this.capacity / 10)) this.trim();
    return fresh;
  }

  private trim(): void {
    let excess = this.size - this.capacity;
    while (excess > 0 && this.earlier.length > 0) {
      const oldest = this.earlier[0]!;
      if (oldest.events.length <= excess) {
        excess -= oldest.events.length;
        this.earlier.shift();
      } else {
        oldest.events = oldest.events.slice(excess);
        excess = 0;
      }
    }
    if (excess > 0) this.events = this.events.slice(excess);
  }

  /** The current run's events. */
  all(): readonly TraceEvent[] {
    return this.events;
  }

  /** The runs before the current one that still have events, oldest first. */
  earlierRuns(): readonly EarlierRun[] {
    return this.earlier;
  }

  /** Forget every run (the user cleared the list). */
  clear(): void {
    this.events = [];
    this.earlier = [];
  }

  /** The sandbox restarted: sequence numbers and packet ids start again; the run so far is kept as an earlier one. */
  newSandboxRun(): void {
    if (this.events.length > 0) this.earlier.push({ sandboxRun: this.runNumber, events: this.events });
    this.events = [];
    this.lastSeqSeen = 0;
    this.runNumber++;
  }
}
