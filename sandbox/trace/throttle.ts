// A rate budget for trace subscribers that cross a process boundary (the extension host,
// and through it the inspector webview). Under a flood the sandbox produces far more events
// than a UI can parse, so past the budget whole PACKETS are left out — never single events,
// so every packet a subscriber sees is complete from arrival to outcome. What is left out is
// counted and reported; the full record stays in the ring (trace.snapshot / trace.export).

import type { TraceEvent } from './events';

export interface ThrottleResult {
  events: TraceEvent[];
  /** Packets left out of this batch because the budget was spent. */
  droppedPackets: number;
}

export class TraceThrottle {
  private windowStart = 0;
  private spent = 0;
  /** Packets being forwarded (arrival let through, outcome not yet seen). */
  private readonly open = new Set<string>();
  /** Packets being left out (arrival dropped, outcome not yet seen). */
  private readonly skipped = new Set<string>();

  /** @param eventsPerSecond budget of events forwarded per second */
  constructor(private readonly eventsPerSecond = 20_000) {}

  filter(batch: readonly TraceEvent[], now = Date.now()): ThrottleResult {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.spent = 0;
    }
    const events: TraceEvent[] = [];
    let droppedPackets = 0;
    for (const e of batch) {
      const id = e.packetId;
      if (id === undefined) {
        // queue events are small and rare next to stanzas: always forwarded
        events.push(e);
        continue;
      }
      if (e.type === 'arrival') {
        if (this.spent < this.eventsPerSecond) this.open.add(id);
        else {
          this.skipped.add(id);
          droppedPackets++;
          continue;
        }
      } else if (this.skipped.has(id)) {
        if (e.type === 'outcome') this.skipped.delete(id);
        continue;
      } else if (e.type === 'outcome') this.open.delete(id);
      // Events of packets whose arrival predates this subscriber (or an open packet) go through.
      this.spent++;
      events.push(e);
    }
    // Packets that never reach an outcome (a pipeline error) must not grow the sets forever.
    if (this.skipped.size > 100_000) this.skipped.clear();
    if (this.open.size > 100_000) this.open.clear();
    return { events, droppedPackets };
  }
}
