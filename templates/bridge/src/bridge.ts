// The bridge: an XEP-0114 component between Redis lists and XMPP. README.md explains it.
//
// Out (queue → XMPP), the reliable-queue pattern (Redis docs, LMOVE "Pattern: Reliable
// queue"): BLMOVE outbox → processing atomically takes the oldest item and keeps it in
// `processing` while it is sent; only after the send does LREM drop it. A crash between the two
// leaves the item in `processing`, and start() moves such items back: nothing is lost, an
// item may be sent twice (at least once: make receivers idempotent, e.g. by message id).
// Items that are not one stanza with a `to` go to the dead-letter list with the reason.
// In (XMPP → queue): every message, presence and IQ response addressed to the component's
// domain is LPUSHed to the reply list as XML text.

import { component, type Component } from '@xmpp/component';
import type { Element } from '@xmpp/xml';
import { Redis } from 'ioredis';
import type { BridgeConfig } from './config.js';
import { parseItem } from './stanza.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class QueueBridge {
  private xmpp: Component | null = null;
  private cmd: Redis | null = null;
  private blocking: Redis | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private online = false;
  private onlineWaiters: (() => void)[] = [];
  readonly stats = { sent: 0, dead: 0, replies: 0, recovered: 0 };

  constructor(
    readonly config: BridgeConfig,
    private readonly log: (line: string) => void = (line) => console.log(line),
  ) {}

  /** Connects to Redis and the XMPP server, requeues what a previous run left in processing, and starts taking items. */
  async start(): Promise<void> {
    const c = this.config;
    // Blocking commands need a connection of their own; retries are left to ioredis.
    this.cmd = new Redis(c.redisUrl, { maxRetriesPerRequest: null });
    this.blocking = new Redis(c.redisUrl, { maxRetriesPerRequest: null });
    for (const r of [this.cmd, this.blocking]) r.on('error', (err: Error) => this.log(`redis: ${err.message}`));

    const xmpp = component({ service: c.service, domain: c.domain, password: c.secret });
    this.xmpp = xmpp;
    xmpp.on('error', (err: Error) => this.log(`xmpp: ${err.message}`));
    xmpp.on('online', () => {
      this.online = true;
      for (const w of this.onlineWaiters.splice(0)) w();
    });
    xmpp.on('offline', () => (this.online = false));
    xmpp.on('stanza', (s: Element) => void this.onStanza(s));
    await xmpp.start();

    // Items a crash left in processing go back to the head of the outbox, oldest first.
    while ((await this.cmd.lmove(c.processing, c.outbox, 'LEFT', 'RIGHT')) !== null) this.stats.recovered++;
    if (this.stats.recovered) this.log(`requeued ${this.stats.recovered} item(s) left in ${c.processing}`);

    this.running = true;
    this.loop = this.run();
    this.log(`bridge ${c.domain} online: ${c.outbox} → XMPP → ${c.replies}`);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.blocking?.disconnect(); // ends a BLMOVE that is waiting; an item being sent is finished first
    await this.loop;
    this.xmpp?.reconnect.stop();
    await this.xmpp?.stop().catch(() => undefined);
    await this.cmd?.quit().catch(() => undefined);
  }

  private async run(): Promise<void> {
    const c = this.config;
    while (this.running) {
      let item: string | null;
      try {
        item = await this.blocking!.blmove(c.outbox, c.processing, 'RIGHT', 'LEFT', 1);
      } catch (err) {
        if (!this.running) return;
        this.log(`BLMOVE failed: ${(err as Error).message}; retrying`);
        await sleep(500);
        continue;
      }
      if (item !== null) await this.forward(item);
    }
  }

  private async forward(item: string): Promise<void> {
    const c = this.config;
    const cmd = this.cmd!;
    const parsed = parseItem(item, c.domain);
    if (!parsed.ok) {
      // Dead letter and removal in one transaction: the item is in exactly one of the two lists.
      await cmd.multi().lpush(c.deadLetters, JSON.stringify({ reason: parsed.reason, item, at: new Date().toISOString() })).lrem(c.processing, 1, item).exec();
      this.stats.dead++;
      this.log(`dead letter: ${parsed.reason}`);
      return;
    }
    for (;;) {
      if (!this.online) await new Promise<void>((r) => this.onlineWaiters.push(r));
      try {
        await this.xmpp!.send(parsed.stanza);
        break;
      } catch (err) {
        // Not sent: the item stays in processing and is tried again once the stream is back.
        this.log(`send failed (${(err as Error).message}); retrying`);
        await sleep(500);
      }
    }
    await cmd.lrem(c.processing, 1, item);
    this.stats.sent++;
  }

  private async onStanza(s: Element): Promise<void> {
    // IQ requests are answered by @xmpp/component itself (service-unavailable, RFC 6120
    // §8.3.3.19) unless you register handlers with xmpp.iqCallee; responses go to the list.
    if (s.name === 'iq' && (s.attrs.type === 'get' || s.attrs.type === 'set')) return;
    if (!['message', 'presence', 'iq'].includes(s.name)) return;
    try {
      await this.cmd!.lpush(this.config.replies, s.toString());
      this.stats.replies++;
    } catch (err) {
      this.log(`cannot push a reply: ${(err as Error).message}`);
    }
  }
}
