// XEP-0198 §4: outbound stanzas kept until the peer acknowledges them with <a h='…'/>.
// `h` counts modulo 2^32 (§4, "h"); acked stanzas are dropped from the front.

import type { Element } from '@xmpp/xml';

export class AckQueue {
  private items: Element[] = [];
  private head = 0;
  /** Stanzas acknowledged so far (mod 2^32). */
  acked = 0;
  /** Stanzas counted so far (mod 2^32). */
  sent = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(el: Element): void {
    this.items.push(el);
    this.sent = (this.sent + 1) >>> 0;
  }

  /** Apply <a h/>; false if h acknowledges more than was sent (XEP-0198 §4 undefined-condition). */
  ack(h: number): boolean {
    const n = (h - this.acked) >>> 0;
    if (n > this.length) return false;
    this.head += n;
    this.acked = h >>> 0;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  /** The unacknowledged stanzas, oldest first. */
  pending(): Element[] {
    return this.items.slice(this.head);
  }

  /** Hand the unacknowledged stanzas over and forget them. */
  drain(): Element[] {
    const out = this.pending();
    this.items = [];
    this.head = 0;
    return out;
  }
}
