// A c2s session as the session manager sees it (StreamSession). It outlives its connection
// when XEP-0198 resumption is on: the connection (C2sConnection) can drop and a new one
// can take the session over (XEP-0198 §5).
// Bulk senders (the offline store's delivery, docs/interop.md §3.6) get flow control and
// receipts: `writable` / whenWritable() against config xmpp.outboundHighWaterBytes, and
// sendTracked(), whose receipt answers once the stanza reached the OS (XEP-0198 off) or was
// acknowledged (XEP-0198 on), or false when the session ends first.

import { randomBytes } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { Jid } from '../jid';
import type { StreamErrorCondition } from '../session';
import { AckQueue } from './ack-queue';
import type { WriteDone } from './wire';
import type { EndableSession, StreamContext } from './context';
import { NS_SM } from '../vocabulary';

/** What a session needs from the connection currently carrying it. */
export interface C2sCarrier {
  readonly transport: 'tcp' | 'websocket';
  /** `done`: whether it reached the OS (Wire.write). */
  writeStanza(el: Element, done?: WriteDone): void;
  /** Bytes written and not yet taken by the OS (Wire.backlog). */
  readonly backlog: number;
  /** It still takes writes (Wire.open): false from the moment its stream closes or its socket dies. */
  readonly open: boolean;
  writeNonza(xml: string): void;
  close(condition?: StreamErrorCondition, text?: string): void;
}

// Server ack requests (XEP-0198 §4): after this many unrequested stanzas, or this long
// after the first of a burst, whichever comes first.
const ACK_REQUEST_EVERY = 64;
const ACK_REQUEST_DELAY_MS = 250;

export class C2sSession implements EndableSession {
  readonly kind = 'c2s' as const;
  transport: 'tcp' | 'websocket';
  jid: Jid | null = null;
  readonly connectedAt = Date.now();
  sm: 'off' | 'on' | 'detached' = 'off';
  carrier: C2sCarrier | null;
  /** bind() succeeded: the session manager knows this session and must hear `ended`. */
  bound = false;
  ended = false;
  /** XEP-0198 state */
  smId: string | null = null;
  resumable = false;
  inbound = 0;
  readonly queue = new AckQueue();
  private requestedUpTo = 0;
  private ackTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  /** whenWritable() callers waiting for the backlog to go down (or the session to end). */
  private writableWaiters: ((open: boolean) => void)[] = [];

  constructor(readonly id: string, carrier: C2sCarrier, private readonly ctx: StreamContext) {
    this.carrier = carrier;
    this.transport = carrier.transport;
  }

  send(stanza: Element): boolean {
    if (this.ended) return false;
    if (this.sm !== 'off') {
      this.queue.push(stanza);
      if (!this.carrier) return true; // detached: kept for resumption (XEP-0198 §5)
      this.carrier.writeStanza(stanza);
      this.scheduleAckRequest();
      return true;
    }
    if (!this.carrier) return false;
    this.carrier.writeStanza(stanza);
    return true;
  }

  /** StreamSession.sendTracked: send() with a receipt (see the header). */
  sendTracked(stanza: Element, done: (delivered: boolean) => void): boolean {
    if (this.ended) return false;
    if (this.sm !== 'off') {
      // XEP-0198 §4: delivered once acknowledged; the receipt rides in the ack queue.
      this.queue.push(stanza, done);
      if (!this.carrier) return true; // detached: retransmitted on resumption (XEP-0198 §5)
      this.carrier.writeStanza(stanza);
      this.scheduleAckRequest();
      return true;
    }
    if (!this.carrier) return false;
    this.carrier.writeStanza(stanza, done);
    return true;
  }

  /** StreamSession.writable: connected and under the high-water mark. */
  get writable(): boolean {
    return !this.ended && this.carrier !== null && this.carrier.open && this.carrier.backlog < this.ctx.config.xmpp.outboundHighWaterBytes;
  }

  /** StreamSession.whenWritable: `fn(true)` once the backlog is under half the high-water mark, `fn(false)` if the session ends first. */
  whenWritable(fn: (open: boolean) => void): void {
    if (this.ended) {
      process.nextTick(fn, false);
      return;
    }
    this.writableWaiters.push(fn);
    this.drained();
  }

  /** The carrier handed bytes to the OS, or a resumed connection took over: wake the waiters if there is room. */
  drained(): void {
    if (this.writableWaiters.length === 0 || !this.carrier || !this.carrier.open || this.carrier.backlog >= this.ctx.config.xmpp.outboundHighWaterBytes / 2) return;
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    process.nextTick(() => {
      for (const fn of waiters) fn(true);
    });
  }

  close(condition?: StreamErrorCondition, text?: string): void {
    if (this.ended) return;
    if (this.carrier) this.carrier.close(condition, text);
    else this.end();
  }

  /** XEP-0198 §4: ask the client for an ack after a burst rather than per stanza. */
  private scheduleAckRequest(): void {
    const unrequested = (this.queue.sent - this.requestedUpTo) >>> 0;
    if (unrequested >= ACK_REQUEST_EVERY) {
      this.requestAck();
    } else if (!this.ackTimer) {
      this.ackTimer = setTimeout(() => {
        this.ackTimer = null;
        if (this.queue.sent !== this.requestedUpTo && this.queue.length > 0) this.requestAck();
      }, ACK_REQUEST_DELAY_MS);
      this.ackTimer.unref();
    }
  }

  /** StreamSession.requestAck: an <r/> now, unless everything sent was already asked about. */
  requestAck(): void {
    if (!this.carrier || this.sm !== 'on' || this.queue.sent === this.requestedUpTo) return;
    this.requestedUpTo = this.queue.sent;
    this.carrier.writeNonza(`<r xmlns='${NS_SM}'/>`);
  }

  /** XEP-0198 §3: turn stream management on; returns the <enabled/> reply. */
  enable(resumeRequested: boolean): string {
    const windowSec = this.ctx.config.xmpp.smResumeTimeoutSec;
    this.resumable = resumeRequested && windowSec > 0;
    this.smId = randomBytes(12).toString('base64url');
    this.sm = 'on';
    this.inbound = 0; // XEP-0198 §4: the inbound count starts at <enable/>
    if (!this.resumable) return `<enabled xmlns='${NS_SM}' id='${this.smId}'/>`;
    this.ctx.resumable.set(this.smId, this);
    return `<enabled xmlns='${NS_SM}' id='${this.smId}' resume='true' max='${windowSec}'/>`;
  }

  /** XEP-0198 §5: the session `previd` names, if it may be resumed by `username`. */
  static resumable(ctx: StreamContext, previd: string, username: string): C2sSession | null {
    const s = ctx.resumable.get(previd);
    if (!(s instanceof C2sSession) || s.ended || !s.jid || s.jid.local !== username) return null;
    return s;
  }

  /** Connection lost with resumption on: keep the session (XEP-0198 §5). */
  detach(): void {
    this.carrier = null;
    this.sm = 'detached';
    this.clearAckTimer();
    const ms = this.ctx.config.xmpp.smResumeTimeoutSec * 1000;
    this.expiryTimer = setTimeout(() => {
      this.ctx.log.info(`${this.id}: XEP-0198 resumption window expired`);
      this.end();
    }, ms);
    this.expiryTimer.unref();
    this.ctx.guard('detached', () => this.ctx.sm.detached(this), undefined);
  }

  /** A new connection resumed this session (XEP-0198 §5). */
  attach(carrier: C2sCarrier): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    this.carrier = carrier;
    this.transport = carrier.transport;
    this.sm = 'on';
    this.drained();
  }

  endDetached(): void {
    this.end();
  }

  /** The session is gone for good; tell the session manager exactly once. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.carrier = null;
    this.clearAckTimer();
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    this.ctx.sessions.delete(this);
    if (this.smId) this.ctx.resumable.delete(this.smId);
    // Tracked stanzas (offline delivery) are answered false here and stay with their owner;
    // the rest go back to the session manager for re-routing (XEP-0198 §4/§5).
    const unacked = this.queue.drain();
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    for (const fn of waiters) fn(false);
    if (this.bound) this.ctx.guard('ended', () => this.ctx.sm.ended(this, unacked), undefined);
  }

  private clearAckTimer(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }
}
