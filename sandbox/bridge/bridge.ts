// The bridge: an XEP-0114 component between Redis lists and XMPP (seeds 002/003: apps
// hand stanzas to a queue; one daemon with one connection sends them; docs/interop.md §6).
//
// Outbound (reliable-queue pattern, redis.io LMOVE): BLMOVE inList inList:processing RIGHT
// LEFT 0 on a dedicated connection (producers LPUSH → FIFO), validate the item as one
// stanza, force `from` into the bridge's domain, send, then LREM it from processing.
// Anything that is not a stanza goes to the dead-letter list with the reason: nothing is
// dropped silently. Items left in processing by a crash are requeued on start.
// Inbound: stanzas addressed to any JID of the bridge's domain are RPUSHed to replyList
// and PUBLISHed on replyChannel, IQ requests included (the app answers them through the
// outbox). disco#info on the bridge is answered by the bridge itself (XEP-0030).
import { component, xml, type Component } from '@xmpp/component';
import type { Element } from '@xmpp/xml';
import Redis from 'ioredis';
import type { BridgeConfig } from '../config';
import type { Logger } from '../log';
import type { TraceBus } from '../trace/bus';
import { deadLetter, parseItem } from './stanza';
import { NS_DISCO_INFO } from '../xmpp/vocabulary';

export type BridgeStatus = 'stopped' | 'connecting' | 'online' | 'error';

export interface Bridge {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly status: BridgeStatus;
}

export interface BridgeOptions {
  bridge: BridgeConfig;
  /** e.g. redis://127.0.0.1:6380 (the embedded queue) or any Redis. */
  redisUrl: string;
  /** e.g. xmpp://127.0.0.1:5347 (the embedded server) or Prosody/ejabberd. */
  xmppService: string;
  log: Logger;
  /** Delay between reconnection attempts, ms (default 1000). */
  retryDelayMs?: number;
  /** The sandbox's trace bus, when the bridge runs inside it: dead letters are traced with their reason. */
  trace?: Pick<TraceBus, 'active' | 'emit'>;
}


/**
 * @xmpp/component's iq callee answers every get/set it has no handler for with
 * service-unavailable (@xmpp/iq callee.js). IQ requests to the bridge's JIDs belong to the
 * app behind the reply list, which answers by pushing an iq result to the outbox; so only
 * disco#info requests reach the middleware (XEP-0030), the others are just forwarded.
 */
function onlyDiscoThroughMiddleware(x: Component): void {
  const middleware = x.listeners('element') as ((el: Element) => unknown)[];
  x.removeAllListeners('element');
  x.on('element', (el: Element) => {
    if (el.name === 'iq' && (el.attrs.type === 'get' || el.attrs.type === 'set') && !el.getChild('query', NS_DISCO_INFO)) return;
    for (const l of middleware) l(el);
  });
}

export function createBridge(opts: BridgeOptions): Bridge {
  const { bridge: cfg, log } = opts;
  const processing = `${cfg.inList}:processing`;
  const retryDelay = opts.retryDelayMs ?? 1000;
  let status: BridgeStatus = 'stopped';
  let running = false;
  let xmpp: Component | null = null;
  let xmppOnline = false;
  let xmppTimer: NodeJS.Timeout | null = null;
  let onlineWaiters: (() => void)[] = [];
  let cmd: Redis | null = null;
  let blocking: Redis | null = null;
  let loop: Promise<void> | null = null;
  let stopped: Promise<void> = Promise.resolve();
  let signalStopped = () => {};

  const setStatus = (s: BridgeStatus) => {
    if (status !== s) log.debug(`status ${status} → ${s}`);
    status = s;
  };
  const refreshStatus = () => {
    if (!running) return setStatus('stopped');
    if (xmppOnline && cmd?.status === 'ready') setStatus('online');
    else if (status === 'online') setStatus('connecting');
  };

  function newRedis(role: string): Redis {
    const r = new Redis(opts.redisUrl, {
      lazyConnect: true,
      // Commands wait for a reconnection instead of failing (the loop must not lose items).
      maxRetriesPerRequest: null,
      retryStrategy: () => retryDelay,
      connectionName: `xmpp-bridge-${role}`,
    });
    let wasReady = false;
    r.on('ready', () => {
      log.info(`redis ${role} connection ready (${opts.redisUrl})`);
      wasReady = true;
      refreshStatus();
    });
    r.on('error', (e: Error) => {
      if (running) log.debug(`redis ${role}: ${e.message}`);
    });
    r.on('close', () => {
      if (running && wasReady) log.warn(`redis ${role} connection lost; reconnecting`);
      wasReady = false;
      refreshStatus();
    });
    return r;
  }

  // ---- XMPP -------------------------------------------------------------------------

  function waitXmppOnline(): Promise<void> {
    if (xmppOnline || !running) return Promise.resolve();
    return new Promise((r) => onlineWaiters.push(r));
  }

  function scheduleXmpp(): void {
    if (!running || xmppTimer) return;
    xmppTimer = setTimeout(() => {
      xmppTimer = null;
      connectXmpp().catch(() => {});
    }, retryDelay);
  }

  /** One connection attempt with a fresh component; on any loss, a new attempt later. */
  async function connectXmpp(): Promise<void> {
    const x = component({ service: opts.xmppService, domain: cfg.domain, password: cfg.secret });
    // Reconnection is ours (a fresh entity each time): @xmpp/reconnect gives up after one failed attempt.
    x.reconnect.stop();
    xmpp = x;
    let dropped = false;
    const drop = (why: string) => {
      if (dropped || xmpp !== x) return;
      dropped = true;
      xmppOnline = false;
      refreshStatus();
      if (running) {
        log.warn(`XMPP connection to ${opts.xmppService} lost (${why}); reconnecting`);
        x.stop().catch(() => {});
        scheduleXmpp();
      }
    };
    x.on('error', (e: Error) => {
      if (running) log.debug(`xmpp: ${e.message}`);
    });
    x.on('disconnect', () => drop('disconnected'));
    x.on('offline', () => drop('offline'));
    x.on('stanza', (el: Element) => onStanza(el));
    onlyDiscoThroughMiddleware(x);
    x.iqCallee.get(NS_DISCO_INFO, 'query', () =>
      xml('query', { xmlns: NS_DISCO_INFO }, xml('identity', { category: 'component', type: 'generic', name: 'Redis queue bridge' }), xml('feature', { var: NS_DISCO_INFO })),
    );
    setStatus(status === 'online' ? 'online' : 'connecting');
    try {
      await x.start();
    } catch (e) {
      if (xmpp === x && running) {
        setStatus('error');
        log.warn(`XMPP component ${cfg.domain} could not connect to ${opts.xmppService}: ${(e as Error).message}; retrying`);
        dropped = true;
        x.stop().catch(() => {});
        scheduleXmpp();
      }
      throw e;
    }
    if (!running || xmpp !== x) return;
    log.info(`XMPP component ${cfg.domain} online at ${opts.xmppService}`);
    xmppOnline = true;
    refreshStatus();
    const w = onlineWaiters;
    onlineWaiters = [];
    for (const f of w) f();
  }

  /** Inbound: everything addressed to the bridge goes to the reply list and channel. */
  function onStanza(el: Element): void {
    if (el.name === 'iq' && (el.attrs.type === 'get' || el.attrs.type === 'set') && el.getChild('query', NS_DISCO_INFO)) return;
    const s = el.toString();
    if (!cmd) return;
    cmd
      .multi()
      .rpush(cfg.replyList, s)
      .publish(cfg.replyChannel, s)
      .exec()
      .catch((e: Error) => log.error(`could not store an inbound stanza in ${cfg.replyList}`, e));
  }

  // ---- outbound loop ----------------------------------------------------------------

  async function sendItem(item: string): Promise<void> {
    const parsed = parseItem(item, cfg.domain);
    if (!parsed.ok) {
      log.warn(`dead-lettered an item of ${cfg.inList}: ${parsed.reason}`);
      const r = await cmd!.multi().lpush(cfg.deadLetterList, deadLetter(parsed.reason, item)).lrem(processing, 1, item).exec();
      const length = r?.[0]?.[1];
      // The queue traces the LPUSH, but not why: this event carries the reason (and the item) to the inspector.
      if (opts.trace?.active) {
        opts.trace.emit({ type: 'queue', op: 'dead-letter', key: cfg.inList, dest: cfg.deadLetterList, ...(typeof length === 'number' ? { length } : {}), count: 1, client: 'xmpp-bridge', reason: parsed.reason, item });
      }
      return;
    }
    for (;;) {
      await waitXmppOnline();
      if (!running) return; // stays in processing; requeued at the next start
      try {
        await xmpp!.send(parsed.stanza);
        break;
      } catch (e) {
        log.warn(`send failed (${(e as Error).message}); will retry after reconnecting`);
        xmppOnline = false;
        await new Promise((r) => setTimeout(r, retryDelay));
      }
    }
    // "Written to the socket" is the strongest acknowledgement a component stream gives (notes §6.2).
    await cmd!.lrem(processing, 1, item);
  }

  async function runLoop(): Promise<void> {
    while (running) {
      await waitXmppOnline();
      if (!running) break;
      let item: string | null;
      try {
        item = await blocking!.blmove(cfg.inList, processing, 'RIGHT', 'LEFT', 0);
      } catch (e) {
        if (!running) break;
        log.warn(`BLMOVE on ${cfg.inList} failed: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, retryDelay));
        continue;
      }
      if (item === null) continue;
      try {
        await sendItem(item);
      } catch (e) {
        log.error(`could not process an item of ${cfg.inList} (left in ${processing})`, e);
      }
    }
  }

  /** Items a previous run took but did not finish go back to the queue, oldest consumed first. */
  async function recover(): Promise<number> {
    let n = 0;
    while ((await cmd!.lmove(processing, cfg.inList, 'LEFT', 'RIGHT')) !== null) n++;
    if (n > 0) log.info(`requeued ${n} unfinished item(s) from ${processing}`);
    return n;
  }

  return {
    get status() {
      return status;
    },

    async start() {
      if (running) return;
      running = true;
      stopped = new Promise((r) => (signalStopped = r));
      setStatus('connecting');
      cmd = newRedis('commands');
      blocking = newRedis('blocking');
      // Redis first: recovery must happen before the loop takes new items.
      const redisUp = (async () => {
        await Promise.all([cmd!.connect(), blocking!.connect()]);
        await recover();
      })();
      redisUp.catch((e: Error) => log.warn(`redis ${opts.redisUrl} not reachable yet: ${e.message}; retrying`));
      const xmppUp = connectXmpp();
      loop = (async () => {
        try {
          await redisUp;
        } catch {
          // ioredis keeps reconnecting; wait until it is ready, then recover.
          const c = cmd!;
          await Promise.race([new Promise<void>((r) => c.once('ready', () => r())), stopped]);
          if (running) await recover().catch((e) => log.error('recovery failed', e));
        }
        await runLoop();
      })();
      await Promise.all([redisUp, xmppUp]);
    },

    async stop() {
      if (!running) return;
      running = false;
      signalStopped();
      if (xmppTimer) clearTimeout(xmppTimer);
      xmppTimer = null;
      const w = onlineWaiters;
      onlineWaiters = [];
      for (const f of w) f();
      const x = xmpp;
      xmpp = null;
      xmppOnline = false;
      blocking?.disconnect();
      const c = cmd;
      if (c && c.status !== 'ready') c.disconnect();
      await Promise.race([loop?.catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
      loop = null;
      if (c && c.status === 'ready') await Promise.race([c.quit().catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
      c?.disconnect();
      cmd = null;
      blocking = null;
      if (x) await x.stop().catch(() => {});
      setStatus('stopped');
    },
  };
}
