// The inspector's packet index: one record per packet, built incrementally from trace
// events (sandbox/trace/events.ts). DOM-free so it can be tested in plain Node.
//
// Events arrive in seq order in batches; a packet's events are spread over several batches
// (its outcome may come 100 ms after its arrival), so `apply` reports which records it
// created and which it only updated, and the list view re-filters just those.
//
// The host posts summaries (isSummaryEvent: arrival, plugin verdicts, outcome); a packet's
// stage timeline is fetched when someone looks at it ('detail') and merged by `applyDetail`.
//
// Records are keyed by packet id in the current sandbox run. A restart starts the ids again
// (p1, p2, ...), so the records of the runs before are re-keyed `<packetId>@<run>` and kept,
// marked as an earlier run, until the user clears the list.

import type { ArrivalEvent, OutcomeEvent, PacketTraceEvent, PluginEvent, QueueEvent, Stage, StageEvent, TraceEvent } from '../src/protocol';

export interface StageRecord {
  entered: boolean;
  left: boolean;
  durationUs?: number;
  plugins: PluginEvent[];
}

export interface PacketRecord {
  /** The key: the packet id in the current run, `<packetId>@<run>` in an earlier one. */
  id: string;
  /** The trace's packet id (what the sandbox calls it). */
  packetId: string;
  /** The sandbox run it is from (PacketModel.sandboxRun is the current one). */
  sandboxRun: number;
  /** seq of the first event seen for this packet (orders the list). */
  firstSeq: number;
  arrival?: ArrivalEvent;
  stages: Partial<Record<Stage, StageRecord>>;
  plugins: PluginEvent[];
  outcome?: OutcomeEvent;
  /** Packets whose arrival names this one as parent (P1 → P2 copies, answers). */
  children: string[];
  /**
   * The receiver's pass of this same stanza (a local message or iq is processed once for the
   * sender, 'out', and once for the receiver, 'in': docs/architecture.md "Twice for local
   * traffic"). The list shows the two as one row, headed by the sender's pass.
   */
  secondPass?: string;
  /** Set on a receiver's pass: the sender's pass that heads its row. */
  firstPass?: string;
  /** A delivery out of the offline store: the record of the packet that was stored. */
  storedAs?: string;
  /** A stored packet: the packets that delivered it later (offline flood, XEP-0013, XEP-0198). */
  laterDeliveries: string[];
  /** A queue item the bridge refused (no packet: never a stanza in the pipeline). */
  deadLetter?: QueueEvent;
  /** Bumped on every change (the list re-renders a recycled row only when it moved). */
  rev: number;
  /** Every event of the packet, in seq order. */
  events: TraceEvent[];
  /** A stage event came live: the record was built from full events and needs no 'detail'. */
  hasStages: boolean;
  /** The fetched trace: 'full' merged in, 'gone' when the sandbox's ring no longer held it. */
  detail?: 'full' | 'gone';
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
  /** The current run's last seq (summaries leave gaps: the stage events in between). */
  lastSeq = 0;
  /** The current sandbox run (the host numbers them; 1 for the first). */
  sandboxRun = 1;

  /** Summaries are about 4 events per pass: 400,000 events hold about 100,000 passes. */
  constructor(readonly maxEvents = 400_000) {}

  /** Records from runs before the current one. */
  get earlierCount(): number {
    let n = 0;
    for (const p of this.packets) if (p.sandboxRun !== this.sandboxRun) n++;
    return n;
  }

  /** The key of `packetId` of `run` (earlier runs: `<packetId>@<run>`). */
  keyOf(packetId: string, run: number): string {
    return run === this.sandboxRun ? packetId : `${packetId}@${run}`;
  }

  /** `events` of the current run, or of the earlier run `run` (a refill). */
  apply(events: readonly TraceEvent[], run = this.sandboxRun): ApplyResult {
    const added: PacketRecord[] = [];
    const updated = new Set<PacketRecord>();
    const current = run === this.sandboxRun;
    const touch = (q: PacketRecord | undefined): void => {
      if (!q) return;
      q.rev++;
      updated.add(q);
    };
    for (const e of events) {
      if (current && e.seq > this.lastSeq) this.lastSeq = e.seq;
      if (e.type === 'queue') {
        this.queueEventCount++;
        // A dead letter is a row of its own: an item that never became a packet.
        if (e.op !== 'dead-letter') continue;
        const d = this.record(this.keyOf(`dead${e.seq}`, run), `dead${e.seq}`, run, e.seq);
        d.deadLetter = e;
        d.events.push(e);
        this.eventCount++;
        added.push(d);
        continue;
      }
      const id = this.keyOf(e.packetId, run);
      let p = this.byId.get(id);
      // A live event a 'detail' answer already brought (the two travel apart).
      if (p?.detail === 'full' && hasSeq(p.events, e.seq)) continue;
      if (!p) {
        p = this.record(id, e.packetId, run, e.seq);
        added.push(p);
      } else touch(p);
      p.events.push(e);
      this.eventCount++;
      // The row a receiver's pass shows in is its sender's pass: that one changes too.
      if (p.firstPass) touch(this.byId.get(p.firstPass));
      switch (e.type) {
        case 'arrival':
          p.arrival = e;
          if (e.parentId) {
            const parent = this.byId.get(this.keyOf(e.parentId, run));
            if (parent && !parent.children.includes(p.id)) {
              parent.children.push(p.id);
              if (!parent.secondPass && parent.arrival?.direction === 'out' && e.direction === 'in' && e.xml === parent.arrival.xml) {
                parent.secondPass = p.id;
                p.firstPass = parent.id;
              }
              touch(parent);
            }
          }
          if (e.stored) {
            const stored = this.findStored(e.stored, run);
            if (stored) {
              p.storedAs = stored.id;
              stored.laterDeliveries.push(p.id);
              touch(stored);
              if (stored.firstPass) touch(this.byId.get(stored.firstPass));
            }
          }
          if (e.kind === 'iq' && e.id) {
            const list = this.iqById.get(e.id);
            if (list) list.push(p);
            else this.iqById.set(e.id, [p]);
          }
          break;
        case 'stage':
          p.hasStages = true;
          addStage(p, e);
          break;
        case 'plugin':
          p.plugins.push(e);
          addPlugin(p, e);
          break;
        case 'outcome': {
          // Its detail was fetched in flight, before the outcome: the stages after are missing.
          if (p.detail === 'full' && !p.outcome) p.detail = undefined;
          p.outcome = e;
          // A delivery's outcome decides whether the stored packet reads "delivered later".
          const stored = p.storedAs ? this.byId.get(p.storedAs) : undefined;
          if (stored) {
            touch(stored);
            if (stored.firstPass) touch(this.byId.get(stored.firstPass));
          }
          break;
        }
      }
    }
    for (const a of added) updated.delete(a);
    const trimmed = this.eventCount > this.maxEvents && this.trim();
    return { added, updated, trimmed };
  }

  private record(id: string, packetId: string, run: number, firstSeq: number): PacketRecord {
    const p: PacketRecord = { id, packetId, sandboxRun: run, firstSeq, stages: {}, plugins: [], children: [], laterDeliveries: [], rev: 0, events: [], hasStages: false };
    this.packets.push(p);
    this.byId.set(id, p);
    return p;
  }

  /**
   * The record a delivery out of the offline store names. Its packet id may be from the
   * delivery's run or an earlier one (the store outlives a restart): of the packets with that id
   * that were stored offline, the one stored closest to the item's stamp.
   */
  private findStored(ref: { packetId: string; stamp: string }, run: number): PacketRecord | undefined {
    const at = Date.parse(ref.stamp);
    let best: PacketRecord | undefined;
    let bestGap = Infinity;
    for (let r = run; r >= 1; r--) {
      const q = this.byId.get(this.keyOf(ref.packetId, r));
      if (!q || q.outcome?.outcome !== 'stored-offline') continue;
      const gap = Number.isNaN(at) ? run - r : Math.abs(q.outcome.ts - at);
      if (gap < bestGap) {
        best = q;
        bestGap = gap;
      }
    }
    return best;
  }

  /**
   * The sandbox restarted as run `run`: the current records become an earlier run's, re-keyed
   * `<packetId>@<old run>`. Returns the old key → new key of every record re-keyed (a
   * selection follows its record).
   */
  startSandboxRun(run: number): Map<string, string> {
    const renamed = new Map<string, string>();
    const old = this.sandboxRun;
    this.sandboxRun = run;
    for (const p of this.packets) {
      if (p.sandboxRun !== old) continue;
      const key = `${p.packetId}@${old}`;
      renamed.set(p.id, key);
      this.byId.delete(p.id);
    }
    const ren = (k: string): string => renamed.get(k) ?? k;
    for (const p of this.packets) {
      if (renamed.has(p.id)) {
        p.id = ren(p.id);
        this.byId.set(p.id, p);
        p.rev++;
      }
      p.children = p.children.map(ren);
      p.laterDeliveries = p.laterDeliveries.map(ren);
      if (p.secondPass) p.secondPass = ren(p.secondPass);
      if (p.firstPass) p.firstPass = ren(p.firstPass);
      if (p.storedAs) p.storedAs = ren(p.storedAs);
    }
    this.lastSeq = 0;
    return renamed;
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
  }

  /** Whether `p`'s stage timeline has to be fetched: a summarized packet of the current run, not asked for yet. */
  needsDetail(p: PacketRecord): boolean {
    return !!p.arrival && p.sandboxRun === this.sandboxRun && !p.hasStages && p.detail === undefined;
  }

  /**
   * Merge a 'detail' answer (full events of current-run packets, seq order) into the records:
   * events deduplicated by seq, stages and plugins rebuilt. The arrival was applied already, so
   * the links (parent, passes, offline store) stand. `missing` packets become 'gone'. Returns
   * the records changed. The cap is enforced by the next `apply` (a trim here could drop the
   * very records an export is collecting).
   */
  applyDetail(events: readonly TraceEvent[], missing: readonly string[]): Set<PacketRecord> {
    const changed = new Set<PacketRecord>();
    const byPacket = new Map<PacketRecord, PacketTraceEvent[]>();
    for (const e of events) {
      if (e.type === 'queue') continue;
      const p = this.byId.get(this.keyOf(e.packetId, this.sandboxRun));
      if (p) (byPacket.get(p) ?? byPacket.set(p, []).get(p)!).push(e);
    }
    for (const [p, fetched] of byPacket) {
      const hadOutcome = !!p.outcome;
      const fresh = fetched.filter((e) => !hasSeq(p.events, e.seq));
      p.events = [...p.events, ...fresh].sort((x, y) => x.seq - y.seq);
      this.eventCount += fresh.length;
      p.stages = {};
      p.plugins = [];
      for (const e of p.events) {
        if (e.type === 'stage') addStage(p, e);
        else if (e.type === 'plugin') {
          p.plugins.push(e);
          addPlugin(p, e);
        } else if (e.type === 'outcome') p.outcome = e;
      }
      p.detail = 'full';
      p.rev++;
      changed.add(p);
      // An outcome only the answer brought decides whether a stored packet reads "delivered later".
      const stored = !hadOutcome && p.outcome && p.storedAs ? this.byId.get(p.storedAs) : undefined;
      if (stored) changed.add(stored);
    }
    for (const id of missing) {
      const p = this.byId.get(this.keyOf(id, this.sandboxRun));
      if (!p || p.detail === 'full') continue;
      p.detail = 'gone';
      p.rev++;
      changed.add(p);
    }
    for (const p of [...changed]) {
      const row = this.rowOf(p);
      if (row !== p) changed.add(row);
    }
    return changed;
  }

  /** The row a record shows in when passes are grouped: its sender's pass, if that is still here. */
  rowOf(p: PacketRecord): PacketRecord {
    return (p.firstPass && this.byId.get(p.firstPass)) || p;
  }

  /** The passes of a row: the sender's, then the receiver's (one when the stanza passed once). */
  passesOf(p: PacketRecord): PacketRecord[] {
    const second = p.secondPass ? this.byId.get(p.secondPass) : undefined;
    return second ? [p, second] : [p];
  }

  /** The outcome that ends a row's story: the receiver's pass when there is one. */
  lastPass(p: PacketRecord): PacketRecord {
    const passes = this.passesOf(p);
    return passes[passes.length - 1]!;
  }

  /** A stored packet that a later delivery got to its receiver (offline flood, XEP-0013, XEP-0198). */
  deliveredLater(p: PacketRecord): boolean {
    return p.outcome?.outcome === 'stored-offline' && p.laterDeliveries.some((id) => this.byId.get(id)?.outcome?.outcome === 'delivered');
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
      if (q === p || q.sandboxRun !== p.sandboxRun) continue;
      const qIsRequest = b.stanzaType === 'get' || b.stanzaType === 'set';
      if (qIsRequest === isRequest) continue;
      const [req, res] = isRequest ? [a, b] : [b, a];
      if (sameAddress(req.from, res.to) || sameAddress(req.to, res.from) || !req.to || !res.from) out.push(q);
    }
    return out;
  }
}

function addStage(p: PacketRecord, e: StageEvent): void {
  const s = (p.stages[e.stage] ??= { entered: false, left: false, plugins: [] });
  if (e.phase === 'enter') s.entered = true;
  else {
    s.left = true;
    s.durationUs = e.durationUs;
  }
}

function addPlugin(p: PacketRecord, e: PluginEvent): void {
  (p.stages[e.stage] ??= { entered: true, left: false, plugins: [] }).plugins.push(e);
}

/** Whether `events` (in seq order) holds the event numbered `seq` (binary search). */
function hasSeq(events: readonly TraceEvent[], seq: number): boolean {
  let lo = 0;
  let hi = events.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = events[mid]!.seq;
    if (s === seq) return true;
    if (s < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
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
