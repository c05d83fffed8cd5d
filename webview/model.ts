// The inspector's packet index: one record per packet, built incrementally from trace
// events (sandbox/trace/events.ts). DOM-free so it can be tested in plain Node.
//
// Events arrive in seq order in batches; a packet's events are spread over several batches
// (its outcome may come 100 ms after its arrival), so `apply` reports which records it
// created and which it only updated, and the list view re-filters just those.

import type { ArrivalEvent, OutcomeEvent, PacketTraceEvent, PluginEvent, Stage, TraceEvent } from '../src/protocol';

export interface StageRecord {
  entered: boolean;
  left: boolean;
  durationUs?: number;
  plugins: PluginEvent[];
}

export interface PacketRecord {
  id: string;
  /** seq of the first event seen for this packet (orders the list). */
  firstSeq: number;
  arrival?: ArrivalEvent;
  stages: Partial<Record<Stage, StageRecord>>;
  plugins: PluginEvent[];
  outcome?: OutcomeEvent;
  /** Packets whose arrival names this one as parent (P1 → P2 copies, answers). */
  children: string[];
  events: PacketTraceEvent[];
}

export interface ApplyResult {
  added: PacketRecord[];
  updated: Set<PacketRecord>;
  /** Oldest packets were dropped to stay under the event cap: views must re-index. */
  trimmed: boolean;
}

export class PacketModel {
  readonly packets: PacketRecord[] = [];
  readonly byId = new Map<string, PacketRecord>();
  /** iq stanzas by their `id` attribute, for request ↔ response pairing (RFC 6120 §8.2.3). */
  private readonly iqById = new Map<string, PacketRecord[]>();
  eventCount = 0;
  queueEventCount = 0;
  lastSeq = 0;
  /** Events the sandbox's ring dropped before we saw them (gaps in seq). */
  missedEvents = 0;

  constructor(readonly maxEvents = 250_000) {}

  apply(events: readonly TraceEvent[]): ApplyResult {
    const added: PacketRecord[] = [];
    const updated = new Set<PacketRecord>();
    for (const e of events) {
      if (this.lastSeq && e.seq > this.lastSeq + 1) this.missedEvents += e.seq - this.lastSeq - 1;
      if (e.seq > this.lastSeq) this.lastSeq = e.seq;
      if (e.type === 'queue') {
        this.queueEventCount++;
        continue;
      }
      let p = this.byId.get(e.packetId);
      if (!p) {
        p = { id: e.packetId, firstSeq: e.seq, stages: {}, plugins: [], children: [], events: [] };
        this.packets.push(p);
        this.byId.set(p.id, p);
        added.push(p);
      } else if (!updated.has(p)) updated.add(p);
      p.events.push(e);
      this.eventCount++;
      switch (e.type) {
        case 'arrival':
          p.arrival = e;
          if (e.parentId) {
            const parent = this.byId.get(e.parentId);
            if (parent && !parent.children.includes(p.id)) {
              parent.children.push(p.id);
              updated.add(parent);
            }
          }
          if (e.kind === 'iq' && e.id) {
            const list = this.iqById.get(e.id);
            if (list) list.push(p);
            else this.iqById.set(e.id, [p]);
          }
          break;
        case 'stage': {
          const s = (p.stages[e.stage] ??= { entered: false, left: false, plugins: [] });
          if (e.phase === 'enter') s.entered = true;
          else {
            s.left = true;
            s.durationUs = e.durationUs;
          }
          break;
        }
        case 'plugin':
          p.plugins.push(e);
          (p.stages[e.stage] ??= { entered: true, left: false, plugins: [] }).plugins.push(e);
          break;
        case 'outcome':
          p.outcome = e;
          break;
      }
    }
    for (const a of added) updated.delete(a);
    const trimmed = this.eventCount > this.maxEvents && this.trim();
    return { added, updated, trimmed };
  }

  /** Drop the oldest packets until we are 10% under the cap. */
  private trim(): boolean {
    const target = Math.floor(this.maxEvents * 0.9);
    let n = 0;
    let count = this.eventCount;
    while (n < this.packets.length && count > target) count -= this.packets[n++]!.events.length;
    for (const p of this.packets.splice(0, n)) {
      this.byId.delete(p.id);
      const id = p.arrival?.kind === 'iq' ? p.arrival.id : undefined;
      if (id) {
        const rest = this.iqById.get(id)?.filter((q) => q !== p) ?? [];
        if (rest.length) this.iqById.set(id, rest);
        else this.iqById.delete(id);
      }
    }
    this.eventCount = count;
    return n > 0;
  }

  clear(): void {
    this.packets.length = 0;
    this.byId.clear();
    this.iqById.clear();
    this.eventCount = 0;
    this.queueEventCount = 0;
    this.lastSeq = 0;
    this.missedEvents = 0;
  }

  /**
   * The iq on the other side of a request/response pair: same `id`, one side get/set and the
   * other result/error, addressed back to the requester (RFC 6120 §8.2.3). A routed iq exists
   * twice (P1 for the sender, P2 for the receiver); the partner chosen is the one that
   * travelled in the same direction as this packet when there is one.
   */
  iqPartners(p: PacketRecord): PacketRecord[] {
    const a = p.arrival;
    if (!a || a.kind !== 'iq' || !a.id) return [];
    const isRequest = a.stanzaType === 'get' || a.stanzaType === 'set';
    const out: PacketRecord[] = [];
    for (const q of this.iqById.get(a.id) ?? []) {
      const b = q.arrival!;
      if (q === p) continue;
      const qIsRequest = b.stanzaType === 'get' || b.stanzaType === 'set';
      if (qIsRequest === isRequest) continue;
      const [req, res] = isRequest ? [a, b] : [b, a];
      if (sameAddress(req.from, res.to) || sameAddress(req.to, res.from) || !req.to || !res.from) out.push(q);
    }
    return out;
  }
}

/** Bare JID of a JID string (RFC 7622 §3.1: resource after the first '/'). */
export function bareOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash === -1 ? jid : jid.slice(0, slash);
}

function sameAddress(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  return a === b || bareOf(a) === bareOf(b);
}
