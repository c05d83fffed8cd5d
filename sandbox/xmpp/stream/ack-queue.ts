// XEP-0198 §4: outbound stanzas kept until the peer acknowledges them with <a h='…'/>.
// `h` counts modulo 2^32 (§4, "h"); acked stanzas are dropped from the front.
// A stanza may carry a receipt (C2sSession.sendTracked: offline delivery, docs/interop.md §3.6):
// it is answered true when <a h/> covers the stanza, false when the queue is drained at the
// session's end; a tracked stanza is then not handed back for re-routing, its owner keeps it.

import type { Element } from '@xmpp/xml';

/** `acked` true: <a h/> covered the stanza; false: the session ended first. */
export type AckDone = (acked: boolean) => void;

export class AckQueue {
  private items: Element[] = [];
  // Parallel to `items`: the receipt of a tracked stanza, else undefined.
  private dones: (AckDone | undefined)[] = [];
  private tracked = 0;
  private head = 0;
  /** Stanzas acknowledged so far (mod 2^32). */
  acked = 0;
  /** Stanzas counted so far (mod 2^32). */
  sent = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(el: Element, done?: AckDone): void {
    this.items.push(el);
    this.dones.push(done);
    if (done) this.tracked++;
    this.sent = (this.sent + 1) >>> 0;
  }

  /** Apply <a h/>; false if h acknowledges more than was sent (XEP-0198 §4 undefined-condition). */
  ack(h: number): boolean {
    const n = (h - this.acked) >>> 0;
    if (n > this.length) return false;
    const from = this.head;
    this.head += n;
    this.acked = h >>> 0;
    let receipts: AckDone[] | null = null;
    if (this.tracked > 0) {
      for (let i = from; i < this.head; i++) {
        const d = this.dones[i];
        if (d) {
          this.dones[i] = undefined;
          this.tracked--;
          (receipts ??= []).push(d);
        }
      }
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.dones = this.dones.slice(this.head);
      this.head = 0;
    }
    // After the queue is consistent: a receipt may write more stanzas (the offline delivery goes on).
    if (receipts) for (const d of receipts) d(true);
    return true;
  }

  /** The unacknowledged stanzas, oldest first (tracked ones included: resumption retransmits them). */
  pending(): Element[] {
    return this.items.slice(this.head);
  }

  /**
   * The session is gone: forget every unacknowledged stanza. Tracked ones are answered false
   * (their owner still has them); the others are returned, oldest first, for re-routing
   * (XEP-0198 §4/§5, docs/interop.md §3.7).
   */
  drain(): Element[] {
    const out: Element[] = [];
    let failed: AckDone[] | null = null;
    for (let i = this.head; i < this.items.length; i++) {
      const d = this.dones[i];
      if (d) (failed ??= []).push(d);
      else out.push(this.items[i]!);
    }
    this.items = [];
    this.dones = [];
    this.tracked = 0;
    this.head = 0;
    if (failed) for (const d of failed) d(false);
    return out;
  }
}
