// Delivery out of the offline store with flow control (docs/interop.md §3.6, §3.7): the
// XEP-0160 flood on presence, XEP-0013 §2.6 fetch and view, and the re-delivery of XEP-0198
// stanzas a dead session never acknowledged. One rule for all three:
//
// - A message leaves the store only once delivered: taken by the OS (XEP-0198 off) or
//   acknowledged by the client's <a h/> (XEP-0198 on), as StreamSession.sendTracked reports.
//   Removals are committed in batches (one store call per burst of receipts).
// - Writing pauses while the session is not `writable` (its unsent bytes reach
//   xmpp.outboundHighWaterBytes, or it is detached) and resumes on drain; it also pauses while
//   this delivery's own written-but-undelivered messages reach that many bytes (with XEP-0198,
//   the acknowledgement window). So a slow reader is paced instead of hitting the send limit.
// - A session that ends mid-way leaves the rest stored, in order: messages not yet written stay,
//   written ones whose receipt answers false stay, and nothing delivered is delivered twice.
//   What is left goes to the user's next available resource, if one is online, else waits.
//
// At most one flood runs per bare JID, so two resources of one user never get the same message.
// XEP-0013 fetch never removes (messages go only by <remove/> or <purge/>, §2.5, §2.7); it is
// paced the same way, and its IQ result is written after the last message (§2.6).
// Every message written is traced as its own packet (arrival with the triggering packet as
// parent, `stored` naming the packet that was stored; outcome 'delivered' when its receipt
// says so, 'stored-offline' when it stays stored).

import { xml, type Element } from '@xmpp/xml';
import type { Logger } from '../../log';
import { tryParseJid } from '../jid';
import type { StreamSession } from '../session';
import { NS_OFFLINE } from '../vocabulary';
import parse from '@xmpp/xml/lib/parse.js';
import type { OfflineItem, OfflineStore } from './offline-store';
import { makePacket, type Packet } from './packet';
import { Pipeline } from './pipeline';
import { liveSession, type RouterView, type SessionView } from './router';

/** What the delivery needs from the pipeline: the trace and the stanza counter. */
export type DeliveryPipeline = Pick<Pipeline, 'deps' | 'traceArrival' | 'traceOutcome' | 'stanzasOut'>;

export interface OfflineDeliveryDeps {
  store: OfflineStore;
  router: RouterView;
  pipeline: DeliveryPipeline;
  /** config xmpp.outboundHighWaterBytes */
  highWaterBytes: number;
  log: Logger;
}

type Mode = 'flood' | 'fetch';

/** A stored stanza as an element (it was serialised by withDelay, plugins/offline.ts). */
export function parseStored(x: string): Element {
  return parse(x);
}

export class OfflineDelivery {
  /** The flood running for each bare JID (at most one). */
  private readonly floods = new Map<string, Job>();
  /** Sessions that refused a write (closed): never picked again for re-delivery. */
  private readonly refused = new WeakSet<StreamSession>();

  constructor(readonly d: OfflineDeliveryDeps) {}

  /**
   * XEP-0160: deliver `bare`'s stored messages to `session` (its first available presence).
   * False when nothing starts: nothing stored, or a flood to another resource of the user is
   * running (what that one leaves undelivered comes here if it ends first: redeliver()).
   */
  flood(session: SessionView, bare: string, parent: Packet | null, producedBy: string): boolean {
    const live = liveSession(session);
    if (!live || this.floods.has(bare) || this.d.store.count(bare) === 0) return false;
    this.start(new Job(this, 'flood', live, session, bare, this.d.store.list(bare).slice(), parent, producedBy));
    return true;
  }

  /**
   * Deliver what is stored for `bare` to its best available resource, if it has one and no
   * flood is running: after a flood ended with messages left, and after the session manager
   * stored a dead session's unacknowledged messages (XEP-0198 §5, docs/interop.md §3.7).
   * The resource: available with priority ≥ 0, connected (not detached), not an XEP-0013 client
   * (§2.2), the highest priority, the first bound among equals.
   */
  redeliver(bare: string): void {
    if (this.floods.has(bare) || this.d.store.count(bare) === 0) return;
    let best: { view: SessionView; live: StreamSession; priority: number } | null = null;
    for (const r of this.d.router.resources(bare)) {
      if (!r.available || r.ended || r.priority < 0 || r.flexibleOffline || r.session.sm === 'detached') continue;
      const live = liveSession(r.session);
      if (!live || this.refused.has(live) || live.writable === false) continue;
      if (!best || r.priority > best.priority) best = { view: r.session, live, priority: r.priority };
    }
    if (best) this.start(new Job(this, 'flood', best.live, best.view, bare, this.d.store.list(bare).slice(), null, 'offline'));
  }

  /**
   * XEP-0013 §2.6 fetch (and §2.4 view): write `items` to `session` with <offline><item node/>,
   * paced. Resolves once the last one was written (the IQ result goes after it) or the session
   * ended. Removes nothing.
   */
  fetch(session: SessionView, bare: string, items: readonly OfflineItem[], parent: Packet, producedBy: string): Promise<void> {
    const live = liveSession(session);
    if (!live) return Promise.resolve();
    const job = new Job(this, 'fetch', live, session, bare, items, parent, producedBy);
    this.start(job);
    return job.written;
  }

  private start(job: Job): void {
    if (job.mode !== 'flood') return job.pump();
    this.floods.set(job.bare, job);
    // On the next turn: the presence that triggered the flood is broadcast to the user's own
    // resources first (RFC 6121 §4.2.2), then the stored messages follow, as Prosody orders them
    // (test/scenarios/offline-delivery.scs runs on both).
    setImmediate(job.pump);
  }

  /** A job has nothing in flight any more. */
  finished(job: Job, refused: boolean): void {
    if (refused) this.refused.add(job.session);
    if (job.mode !== 'flood' || this.floods.get(job.bare) !== job) return;
    this.floods.delete(job.bare);
    // Left over (the session ended), or stored meanwhile (re-routed): the next resource, if any.
    // On the next turn, once the stream layer and the session manager have seen the end (a
    // socket that died is closed by an I/O callback, and the router then no longer lists it).
    if (this.d.store.count(job.bare) > 0) setImmediate(() => this.redeliver(job.bare));
  }
}

/** One delivery to one session: a cursor over the stored items, the in-flight set, the removal batch. */
class Job {
  private i = 0;
  /** Written, receipt pending: node → bytes. */
  private readonly inflight = new Map<string, number>();
  private inflightBytes = 0;
  /** Delivered, not yet removed from the store. */
  private delivered: string[] = [];
  private commitQueued = false;
  private stopped = false;
  private refused = false;
  private allWritten = false;
  private waiting: 'window' | 'session' | null = null;
  private done = false;
  private resolveWritten!: () => void;
  /** Resolves once every item was written, or the job stopped (fetch: time for the IQ result). */
  readonly written = new Promise<void>((r) => (this.resolveWritten = r));

  constructor(
    private readonly owner: OfflineDelivery,
    readonly mode: Mode,
    readonly session: StreamSession,
    private readonly view: SessionView,
    readonly bare: string,
    private list: readonly OfflineItem[],
    private readonly parent: Packet | null,
    private readonly producedBy: string,
  ) {}

  private get d(): OfflineDeliveryDeps {
    return this.owner.d;
  }

  /** Write while there is room; otherwise wait for receipts or for the session to drain. */
  readonly pump = (): void => {
    this.waiting = null;
    const hwm = this.d.highWaterBytes;
    while (!this.stopped) {
      if (this.i >= this.list.length && !this.refill()) {
        this.allWritten = true;
        this.resolveWritten();
        return this.maybeFinish();
      }
      if (this.inflightBytes >= hwm) {
        // Waiting for receipts: with XEP-0198 they are acks, so ask for one now rather than
        // at the next 64-stanza mark, which a full window may never reach.
        this.waiting = 'window';
        this.session.requestAck?.();
        return;
      }
      if (this.session.writable === false) {
        this.waiting = 'session';
        if (this.session.whenWritable) this.session.whenWritable((open) => (open ? this.pump() : this.stop(false)));
        else this.stop(false);
        return;
      }
      const it = this.list[this.i++]!;
      // Removed meanwhile (XEP-0013 remove/purge, the control API), or already on its way.
      if (this.inflight.has(it.node) || !this.d.store.has(this.bare, it.node)) continue;
      this.write(it);
    }
    this.maybeFinish();
  };

  /** Flood: items stored since the list was taken (re-routed ones), minus those in flight. */
  private refill(): boolean {
    if (this.mode !== 'flood') return false;
    this.commit();
    const rest = this.d.store.list(this.bare).filter((it) => !this.inflight.has(it.node));
    if (rest.length === 0) return false;
    this.list = rest;
    this.i = 0;
    return true;
  }

  private write(it: OfflineItem): void {
    let el: Element;
    try {
      el = parseStored(it.xml);
    } catch (err) {
      this.d.log.warn(`offline item ${it.node} of ${this.bare} does not parse; ${this.mode === 'flood' ? 'dropped' : 'skipped'}`, err);
      if (this.mode === 'flood') this.delivered.push(it.node), this.queueCommit();
      return;
    }
    if (this.mode === 'fetch') el.append(xml('offline', { xmlns: NS_OFFLINE }, xml('item', { node: it.node })));
    const pl = this.d.pipeline;
    let traced: Packet | null = null;
    if (pl.deps.trace.active) {
      traced = makePacket({
        element: el,
        direction: 'in',
        source: { kind: 'server', jid: this.bare },
        session: null,
        parentId: this.parent?.id,
        producedBy: this.producedBy,
        from: tryParseJid(el.attrs.from),
        to: tryParseJid(el.attrs.to),
      });
      // Linked to the packet that was stored, so the inspector can say it was delivered later.
      pl.traceArrival(traced, undefined, it.packetId ? { packetId: it.packetId, stamp: it.stamp } : undefined);
    }
    const size = it.xml.length;
    this.inflight.set(it.node, size);
    this.inflightBytes += size;
    const receipt = (ok: boolean) => this.settle(it.node, ok, traced);
    const sent = this.session.sendTracked ? this.session.sendTracked(el, receipt) : this.session.send(el) && (queueMicrotask(() => receipt(true)), true);
    if (!sent) {
      this.settle(it.node, false, traced);
      this.stop(true);
      return;
    }
    pl.stanzasOut++;
  }

  /** A receipt: delivered (remove it, flood only) or not (it stays stored; the session is gone). */
  private settle(node: string, ok: boolean, traced: Packet | null): void {
    const size = this.inflight.get(node);
    if (size === undefined) return;
    this.inflight.delete(node);
    this.inflightBytes -= size;
    if (traced) {
      const pl = this.d.pipeline;
      if (ok) pl.traceOutcome(traced, 'delivered', { to: [Pipeline.label(this.view)] });
      else pl.traceOutcome(traced, 'stored-offline', { to: [this.bare], reason: 'not delivered before the session ended: still stored' });
    }
    if (ok) {
      if (this.mode === 'flood') {
        this.delivered.push(node);
        this.queueCommit();
      }
    } else this.stop(false);
    if (this.waiting === 'window' && this.inflightBytes < this.d.highWaterBytes / 2) this.pump();
    else this.maybeFinish();
  }

  private stop(refused: boolean): void {
    if (refused) this.refused = true;
    if (this.stopped) return;
    this.stopped = true;
    this.resolveWritten();
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.done || (!this.stopped && !this.allWritten) || this.inflight.size > 0) return;
    this.done = true;
    this.commit();
    this.owner.finished(this, this.refused);
  }

  /** Remove a burst of delivered items with one store call (after the receipts of this turn). */
  private queueCommit(): void {
    if (this.commitQueued) return;
    this.commitQueued = true;
    queueMicrotask(() => this.commit());
  }

  private commit(): void {
    this.commitQueued = false;
    if (this.delivered.length === 0) return;
    const nodes = this.delivered;
    this.delivered = [];
    try {
      this.d.store.remove(this.bare, nodes);
    } catch (err) {
      // Runs from socket callbacks: never throw there. The items stay stored (delivered again later).
      this.d.log.warn(`offline store: could not remove ${nodes.length} delivered message(s) of ${this.bare}`, err);
    }
  }
}
