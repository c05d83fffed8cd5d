// A rate budget for trace subscribers that cross a process boundary (the extension host,
// and through it the inspector webview). Under a flood the sandbox produces more packets than
// a UI can index, so past the budget whole PACKETS are left out — never single events, so
// every packet a subscriber sees is complete from arrival to outcome. What is left out is
// counted and reported; the full record stays in the ring (trace.snapshot / trace.packets).
//
// The budget is counted in packets, not events: the list needs one row per packet whatever
// the number of plugins that looked at it, and the promise it keeps is in packets ("every
// stanza is listed up to 20k msg/s": 40,000 packet passes a second for c2s→c2s traffic).

import type { TraceEvent } from './events';

/**
 * The default budget: 40,000 c2s→c2s messages a second (each is two packets, one per pass),
 * twice the rate the inspector promises to list in full: a sandbox catching up on a backlog
 * processes packets in bursts faster than they were sent.
 */
export const LIVE_PACKETS_PER_SECOND = 80_000;

export interface ThrottleResult {
  events: TraceEvent[];
  /** Packets left out of this batch because the budget was spent. */
  droppedPackets: number;
}

export class TraceThrottle {
  private windowStart = 0;
  private spent = 0;
  /** Packets being left out (arrival dropped, outcome not yet seen). */
  private readonly skipped = new Set<string>();

  /** @param packetsPerSecond budget of packets (arrivals) forwarded per second */
  constructor(private readonly packetsPerSecond = LIVE_PACKETS_PER_SECOND) {}

  filter(batch: readonly TraceEvent[], now = Date.now()): ThrottleResult {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.spent = 0;
    }
    // Nothing was left out lately and the batch fits: it goes as it is.
    if (this.skipped.size === 0 && this.spent + batch.length <= this.packetsPerSecond) {
      for (const e of batch) if (e.type === 'arrival') this.spent++;
      return { events: batch as TraceEvent[], droppedPackets: 0 };
    }
    const events: TraceEvent[] = [];
    let droppedPackets = 0;
    for (const e of batch) {
      const id = e.packetId;
      // queue events are small and rare next to stanzas: always forwarded
      if (id !== undefined) {
        if (e.type === 'arrival') {
          if (this.spent >= this.packetsPerSecond) {
            this.skipped.add(id);
            droppedPackets++;
            continue;
          }
          this.spent++;
        } else if (this.skipped.has(id)) {
          if (e.type === 'outcome') this.skipped.delete(id);
          continue;
        }
      }
      // Events of packets whose arrival predates this subscriber (or was let in) go through.
      events.push(e);
    }
    // Packets that never reach an outcome (a pipeline error) must not grow the set forever.
    if (this.skipped.size > 100_000) this.skipped.clear();
    return { events, droppedPackets };
  }

  /**
   * These events, let through, could not be delivered after all: leave out the rest of their
   * packets too (those whose outcome is not among them), so no subscriber sees half a packet.
   */
  leaveOut(events: readonly TraceEvent[]): void {
    const open = new Set<string>();
    for (const e of events) {
      if (e.packetId === undefined) continue;
      if (e.type === 'outcome') open.delete(e.packetId);
      else open.add(e.packetId);
    }
    for (const id of open) this.skipped.add(id);
  }
}
