import type { Client } from './client';
import type { Engine } from './engine';
import { compileGlob } from './glob';

/** Channel and pattern subscriptions (redis.io "Redis Pub/Sub"). */
export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();

  constructor(private readonly engine: Engine) {}

  subscribe(c: Client, channel: string): boolean {
    if (c.channels.has(channel)) return false;
    c.channels.add(channel);
    let set = this.channels.get(channel);
    if (!set) this.channels.set(channel, (set = new Set()));
    set.add(c);
    return true;
  }

  unsubscribe(c: Client, channel: string): boolean {
    if (!c.channels.delete(channel)) return false;
    const set = this.channels.get(channel);
    set?.delete(c);
    if (set && set.size === 0) this.channels.delete(channel);
    return true;
  }

  psubscribe(c: Client, pattern: string): boolean {
    if (c.patterns.has(pattern)) return false;
    c.patterns.add(pattern);
    let set = this.patterns.get(pattern);
    if (!set) this.patterns.set(pattern, (set = new Set()));
    set.add(c);
    return true;
  }

  punsubscribe(c: Client, pattern: string): boolean {
    if (!c.patterns.delete(pattern)) return false;
    const set = this.patterns.get(pattern);
    set?.delete(c);
    if (set && set.size === 0) this.patterns.delete(pattern);
    return true;
  }

  dropClient(c: Client): void {
    for (const ch of [...c.channels]) this.unsubscribe(c, ch);
    for (const p of [...c.patterns]) this.punsubscribe(c, p);
  }

  /** Deliver to channel subscribers, then pattern subscribers; returns the receiver count. */
  publish(channel: string, message: string): number {
    let n = 0;
    const subs = this.channels.get(channel);
    if (subs) {
      for (const c of subs) {
        c.pushLen(3);
        c.bulk('message');
        c.bulk(channel);
        c.bulk(message);
        // Checked per message, so a subscriber that does not read is closed at its hard limit
        // plus one message (redis.io "Redis client handling", "Output buffer limits").
        if (!this.engine.checkOutputLimit(c)) this.engine.markDirty(c);
        n++;
      }
    }
    for (const [pattern, set] of this.patterns) {
      if (!compileGlob(pattern).test(channel)) continue;
      for (const c of set) {
        c.pushLen(4);
        c.bulk('pmessage');
        c.bulk(pattern);
        c.bulk(channel);
        c.bulk(message);
        if (!this.engine.checkOutputLimit(c)) this.engine.markDirty(c);
        n++;
      }
    }
    return n;
  }
}
