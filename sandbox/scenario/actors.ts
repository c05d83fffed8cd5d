// The characters of a scenario (sandbox/scenario/parser.ts), as real peers on 127.0.0.1 or a
// given server: [Client] is an @xmpp/client (RFC 6120 c2s), [Component] an @xmpp/component
// (XEP-0114), [Queue] an ioredis connection to one list. Each keeps what it received in
// arrival order; a `receives` step takes the next stanza, passing over only those that came in
// before the step began and do not match (StanzaActor.take, as Scansion sees them).

import { client, type Client } from '@xmpp/client';
import { component, type Component } from '@xmpp/component';
import type { Element } from '@xmpp/xml';
import Redis from 'ioredis';
import type { Jid } from '../xmpp/jid';

/** Rejects with `message` when `p` has not settled within `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** How long a stream may take to close before its socket is dropped (the client's own wait, docs/interop.md §1.1). */
const CLOSE_GRACE_MS = 2000;

type Entity = Client | Component;

/** A connected XMPP peer: a client or a component. */
export class StanzaActor {
  private entity: Entity | null = null;
  private readonly inbox: Element[] = [];
  private waiter: ((el: Element | null) => void) | null = null;
  private lastError: Error | null = null;
  /** Why the connection ended without a 'disconnects' step, once it has. */
  private dropped: string | null = null;
  /** The address the server bound (RFC 6120 §7); kept after a disconnect, for variables. */
  bound: string | null = null;

  constructor(
    readonly name: string,
    readonly kind: 'Client' | 'Component',
  ) {}

  /** Connected (or dropped by the server) and not yet disconnected by the script. */
  get attached(): boolean {
    return this.entity !== null;
  }

  get connected(): boolean {
    return this.entity !== null && this.dropped === null;
  }

  /** Why the actor cannot send or receive, or null when it can. */
  unavailable(): string | null {
    if (this.dropped) return `${this.name}'s connection was closed: ${this.dropped}`;
    if (!this.entity) return `${this.name} is not connected (a '${this.name} connects' step comes first)`;
    return null;
  }

  /** Connects, authenticates and binds (a client) or completes the handshake (a component). */
  async connect(o: { service: string; jid: Jid; password: string; resource?: string; timeoutMs: number }): Promise<void> {
    if (this.connected) throw new Error(`${this.name} is already connected`);
    if (this.entity) await this.disconnect(); // dropped by the server: connect anew
    const entity: Entity =
      this.kind === 'Client'
        ? client({ service: o.service, domain: o.jid.domain, username: o.jid.local, password: o.password, resource: o.resource })
        : component({ service: o.service, domain: o.jid.domain, password: o.password });
    entity.reconnect.stop();
    entity.on('error', (err: Error) => (this.lastError = err));
    // Stanzas of the session's set-up (the bind result, RFC 6120 §7.6) are the library's own.
    let online = false;
    entity.on('online', () => (online = true));
    entity.on('stanza', (el: Element) => online && this.push(el));
    entity.on('disconnect', () => {
      if (this.entity === entity && this.dropped === null) this.dropped = this.lastError ? this.lastError.message : 'the server closed the stream';
      this.wake();
    });
    // The libraries answer IQ requests nobody handles with service-unavailable (@xmpp/iq
    // callee, docs/interop.md §1.8). Here the script answers: a last middleware that never
    // returns keeps the callee from replying (the stream-management count still sees the IQ).
    entity.middleware.use(({ stanza }: { stanza: Element }, next: () => Promise<unknown>) =>
      stanza.name === 'iq' && (stanza.attrs.type === 'get' || stanza.attrs.type === 'set') ? new Promise(() => {}) : next(),
    );
    this.entity = entity;
    this.dropped = null;
    this.lastError = null;
    try {
      const deadline = Date.now() + o.timeoutMs;
      const address = await withTimeout(entity.start(), o.timeoutMs, `no ${this.kind === 'Client' ? 'session' : 'handshake'} within ${o.timeoutMs} ms`);
      this.bound = this.kind === 'Client' ? String(address) : o.jid.domain;
      // The client is online at the bind result and enables XEP-0198 after it, when offered;
      // the session is set up once <enabled/> is in, so the script's first stanza is counted
      // (docs/interop.md §3.7).
      const sm = (entity as Client).streamManagement as { enabled?: boolean; enableSent?: boolean } | undefined;
      while (sm?.enableSent && !sm.enabled && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    } catch (err) {
      this.entity = null;
      await this.close(entity);
      const last = this.lastError as Error | null; // set by the 'error' listener meanwhile
      const why = last && last !== err ? ` (${last.message})` : '';
      throw new Error(`${this.name} could not connect to ${o.service}: ${(err as Error).message}${why}`);
    }
  }

  async send(el: Element): Promise<void> {
    const why = this.unavailable();
    if (why) throw new Error(why);
    await this.entity!.send(el);
  }

  /**
   * The stanza a `receives` step gets, as Scansion gives it: Scansion's client listens only
   * while a `receives` step waits, so a stanza that came in before the step began (while the
   * script ran other steps) is one it never sees. Here those are buffered; the first of them
   * that `accepts` is taken, and the ones before it are passed over. When none does, they are
   * all passed over and the next stanza to arrive within `ms` is taken, whatever it is (the
   * caller matches it, and fails on a mismatch as Scansion does). `passed`: what was passed
   * over, for the report.
   */
  async take(ms: number, accepts: (el: Element) => boolean): Promise<{ el: Element | null; passed: Element[] }> {
    const hit = this.inbox.findIndex(accepts);
    const passed = this.inbox.splice(0, hit === -1 ? this.inbox.length : hit);
    return { el: await this.next(ms), passed };
  }

  /** The next stanza received (taken out of the inbox), or null when none came within `ms`. */
  next(ms: number): Promise<Element | null> {
    const first = this.inbox.shift();
    if (first) return Promise.resolve(first);
    if (this.unavailable()) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      this.waiter = (el) => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(el);
      };
    });
  }

  /** Closes the stream (RFC 6120 §4.4); the inbox is kept for nobody. */
  async disconnect(): Promise<void> {
    const entity = this.entity;
    this.entity = null;
    this.dropped = null;
    this.inbox.length = 0;
    if (entity) await this.close(entity);
  }

  private push(el: Element): void {
    if (this.waiter) this.waiter(el);
    else this.inbox.push(el);
  }

  private wake(): void {
    this.waiter?.(null);
  }

  private async close(entity: Entity): Promise<void> {
    entity.reconnect.stop();
    const closed = await withTimeout(entity.stop(), CLOSE_GRACE_MS, 'close').then(
      () => true,
      () => false,
    );
    if (!closed) (entity as { socket?: { destroy?: () => void } | null }).socket?.destroy?.();
  }
}

/** A Redis list: `pushes` LPUSHes (the bridge's outbox order, sandbox/bridge/README.md), `receives` pops one item. */
export class QueueActor {
  private redis: Redis | null = null;

  constructor(
    readonly name: string,
    readonly url: string,
    readonly list: string,
    /** left: BLPOP (the bridge RPUSHes its inbox), right: BRPOP. */
    readonly pop: 'left' | 'right',
  ) {}

  private connection(): Redis {
    // No retries: an unreachable queue fails the step instead of waiting forever.
    this.redis ??= new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false });
    this.redis.on('error', () => {});
    return this.redis;
  }

  async push(item: string): Promise<void> {
    await this.connection().lpush(this.list, item);
  }

  /** The item popped within `ms`, or null (BLPOP/BRPOP with a fractional timeout, as Redis ≥ 6 takes). */
  async next(ms: number): Promise<string | null> {
    const r = this.connection();
    const seconds = String(Math.max(ms, 1) / 1000);
    const got = this.pop === 'left' ? await r.blpop(this.list, seconds) : await r.brpop(this.list, seconds);
    return got ? got[1] : null;
  }

  async close(): Promise<void> {
    const r = this.redis;
    this.redis = null;
    if (r) await withTimeout(r.quit(), CLOSE_GRACE_MS, 'quit').catch(() => r.disconnect());
  }
}
