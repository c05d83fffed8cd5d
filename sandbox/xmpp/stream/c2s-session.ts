// A c2s session as the session manager sees it (StreamSession). It outlives its connection
// when XEP-0198 resumption is on: the connection (C2sConnection) can drop and a new one
// can take the session over (XEP-0198 §5).

import { randomBytes } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { Jid } from '../jid';
import type { StreamErrorCondition } from '../session';
import { AckQueue } from './ack-queue';
import type { EndableSession, StreamContext } from './context';
import { NS_SM } from '../vocabulary';

/** What a session needs from the connection currently carrying it. */
export interface C2sCarrier {
  readonly transport: 'tcp' | 'websocket';
  writeStanza(el: Element): void;
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

  private requestAck(): void {
    if (!this.carrier) return;
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
    const unacked = this.queue.drain();
    if (this.bound) this.ctx.guard('ended', () => this.ctx.sm.ended(this, unacked), undefined);
  }

  private clearAckTimer(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }
}
