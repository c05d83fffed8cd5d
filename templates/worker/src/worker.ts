// One worker instance. Several instances log in as the same account, each with its own
// resource, and take jobs sent to the account's bare JID. README.md, "How the work is shared",
// explains the scheme; in short:
//
// - RFC 6121 §8.5.2.1.1: a message to a bare JID goes to the available resource with the
//   highest non-negative priority; when several share it, Prosody and ejabberd (and the
//   sandbox by default) deliver it to ALL of them. So equal priorities would run a job twice.
// - Each instance claims a slot number no sibling holds (it learns the siblings from their
//   presence, RFC 6121 §4.2.2, which carries the slot in an element of our own namespace,
//   RFC 6120 §8.4) and advertises priority = base + free × width + slot. Distinct slots make
//   every priority distinct, so exactly one resource is on top at any moment; free instances
//   advertise above busy ones, so the work spreads.
// - While it claims a slot an instance advertises a negative priority: it gets no bare-JID
//   message until its slot is its own.
// - Work that landed in offline storage while no instance was available (XEP-0160) is fetched
//   one job at a time with XEP-0013 where the server offers it; the server's answer to
//   `remove` decides which instance owns a stored job (XEP-0013 §2.5). Elsewhere the server
//   floods it on an initial presence with priority >= 0, to one instance.
// - stop() (SIGTERM) drops to a negative priority, finishes the running and queued jobs,
//   then sends unavailable presence (RFC 6121 §4.5).

import { client, xml, type Client, type Element } from '@xmpp/client';
import type { WorkerConfig } from './config.js';
import { parseCommand, runJob } from './jobs.js';

/** Our presence payload: the slot and the phase of an instance. */
export const NS_WORKER = 'urn:example:xmpp-worker:0';
const NS_OFFLINE = 'http://jabber.org/protocol/offline'; // XEP-0013
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_PING = 'urn:xmpp:ping'; // XEP-0199

type Phase = 'offline' | 'joining' | 'claiming' | 'ready' | 'draining' | 'stopped';

interface Sibling {
  slot: number | null;
  state: string;
}

interface Job {
  name: string;
  ms: number;
  request: Element;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const bareOf = (jid: string) => jid.split('/')[0]!.toLowerCase();
const resourceOf = (jid: string) => (jid.includes('/') ? jid.slice(jid.indexOf('/') + 1) : '');

export class Worker {
  private xmpp: Client | null = null;
  private phase: Phase = 'offline';
  private slot: number | null = null;
  private readonly siblings = new Map<string, Sibling>();
  private claimConflict = false;
  private running = 0;
  private readonly queue: Job[] = [];
  private advertised: number | null = null;
  private flexibleOffline = false;
  private offlineBusy = false;
  private offlinePending = false;
  private readonly viewed = new Map<string, Element>();
  private generation = 0;
  private readyWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private stopping: Promise<void> | null = null;
  /** Jobs finished by this instance. */
  readonly stats = { scheduled: 0, done: 0, failed: 0 };

  constructor(
    readonly config: WorkerConfig,
    private readonly log: (line: string) => void = (line) => console.log(line),
  ) {
    if (this.width < 1) throw new Error(`WORKER_PRIORITY ${config.basePriority} leaves no room for ${config.concurrency + 1} priority bands below 128`);
  }

  /** Slots per band: priorities base + free × width + slot stay within 127 (RFC 6121 §4.7.2.3). */
  get width(): number {
    return Math.floor((128 - this.config.basePriority) / (this.config.concurrency + 1));
  }

  get jid(): string {
    return `${this.config.username}@${this.config.domain}/${this.config.resource}`;
  }

  /** Connects, claims a slot and resolves once the instance takes bare-JID work. */
  async start(): Promise<void> {
    const c = this.config;
    const xmpp = client({ service: c.service, domain: c.domain, username: c.username, password: c.password, resource: c.resource });
    this.xmpp = xmpp;
    xmpp.on('error', (err: Error) => this.log(`xmpp error: ${err.message}`));
    xmpp.on('offline', () => (this.phase = this.phase === 'stopped' ? 'stopped' : 'offline'));
    xmpp.on('stanza', (s: Element) => this.onStanza(s));
    // Every (re)connection is a new session: the siblings, the slot and the priority start over.
    xmpp.on('online', () => {
      const gen = ++this.generation;
      this.join(gen).catch((err: Error) => this.log(`joining failed: ${err.message}`));
    });
    const ready = new Promise<void>((r) => this.readyWaiters.push(r));
    await xmpp.start();
    await ready;
  }

  /** Stops taking work, finishes what it has, then goes unavailable and disconnects. */
  stop(): Promise<void> {
    this.stopping ??= this.drainAndLeave();
    return this.stopping;
  }

  // ------------------------------------------------------------------ joining: the slot claim

  private async join(gen: number): Promise<void> {
    this.phase = 'joining';
    this.siblings.clear();
    this.slot = null;
    this.advertised = null;
    this.viewed.clear();
    // XEP-0013 §2.2: asking for the offline node tells whether the server offers it, and (the
    // sandbox, per the XEP) turns off the flood of stored messages on our presence.
    this.flexibleOffline = await this.detectFlexibleOffline();
    await this.sendPresence(-1, 'join', null);
    await this.settle(); // the server sends us the siblings' current presence (RFC 6121 §4.2.2)
    if (!(await this.claimSlot(gen))) return;
    if (!this.flexibleOffline) {
      // Without XEP-0013, servers flush offline messages on an initial presence with priority
      // >= 0 only (XEP-0160 §3; Prosody, ejabberd), and ours was negative: make the next one initial.
      await this.send(xml('presence', { type: 'unavailable' }));
    }
    this.phase = 'ready';
    await this.advertise(true);
    this.log(`ready ${this.jid} slot=${this.slot} priority=${this.advertised} offline=${this.flexibleOffline ? 'XEP-0013' : 'flood'}`);
    for (const r of this.readyWaiters.splice(0)) r();
    void this.drainOffline();
  }

  /** Picks the lowest slot no sibling shows, claims it at priority −1, keeps it if nobody contested it. */
  private async claimSlot(gen: number): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      if (gen !== this.generation || this.stopping) return false;
      const used = new Set([...this.siblings.values()].map((s) => s.slot));
      let s = 0;
      while (used.has(s)) s++;
      if (s >= this.width) {
        this.log(`no free slot (${this.width} instances at most with WORKER_CONCURRENCY=${this.config.concurrency}); waiting`);
        await sleep(1000 + this.config.settleMs);
        continue;
      }
      this.slot = s;
      this.claimConflict = false;
      this.phase = 'claiming';
      await this.sendPresence(-1, 'claim', s);
      await this.settle();
      if (gen !== this.generation) return false;
      // Whoever sees a contest gives way: of two instances that claimed together at least one
      // saw the other's claim before its own settle ended, so two never both keep a slot.
      if (!this.claimConflict && ![...this.siblings.values()].some((x) => x.slot === s)) return true;
      this.log(`slot ${s} is contested (attempt ${attempt}); trying again`);
      this.slot = null;
      await sleep(Math.random() * (this.config.settleMs + 50));
    }
  }

  /** A round trip to the server (XEP-0199), then settleMs: presence already routed to us has arrived. */
  private async settle(): Promise<void> {
    await this.iq(xml('iq', { type: 'get', to: this.config.domain }, xml('ping', { xmlns: NS_PING }))).catch(() => undefined);
    await sleep(this.config.settleMs);
  }

  private async detectFlexibleOffline(): Promise<boolean> {
    try {
      const res = await this.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_DISCO_INFO, node: NS_OFFLINE })));
      return (res.getChild('query', NS_DISCO_INFO)?.getChildren('feature') ?? []).some((f) => f.attrs.var === NS_OFFLINE);
    } catch {
      return false; // item-not-found, service-unavailable, …: not offered
    }
  }

  // ------------------------------------------------------------------ presence

  private free(): number {
    return Math.max(0, this.config.concurrency - this.running - this.queue.length);
  }

  /** Sends our priority when it changed: base + free × width + slot; one top resource at any time. */
  private async advertise(force = false): Promise<void> {
    if (this.phase !== 'ready' || this.slot === null) return;
    const p = this.config.basePriority + this.free() * this.width + this.slot;
    if (!force && p === this.advertised) return;
    this.advertised = p;
    await this.sendPresence(p, 'ready', this.slot);
  }

  private sendPresence(priority: number, state: string, slot: number | null): Promise<void> {
    const status = `${state} ${this.running}/${this.config.concurrency}${this.queue.length ? ` +${this.queue.length} queued` : ''}`;
    return this.send(
      xml('presence', {}, xml('priority', {}, String(priority)), xml('status', {}, status), xml('worker', { xmlns: NS_WORKER, state, ...(slot === null ? {} : { slot: String(slot) }) })),
    );
  }

  private onPresence(p: Element): void {
    const from = p.attrs.from;
    if (!from || bareOf(from) !== this.bare || resourceOf(from) === this.config.resource) return;
    const res = resourceOf(from);
    if (p.attrs.type === 'unavailable') {
      this.siblings.delete(res);
      return;
    }
    if (p.attrs.type !== undefined && p.attrs.type !== 'available') return;
    const w = p.getChild('worker', NS_WORKER);
    const slot = w && /^\d+$/.test(w.attrs.slot ?? '') ? Number(w.attrs.slot) : null;
    const state = w?.attrs.state ?? 'other';
    this.siblings.set(res, { slot, state });
    if (slot === null || slot !== this.slot) return;
    if (this.phase === 'claiming') this.claimConflict = true;
    else if (this.phase === 'ready' && state === 'ready' && res < this.config.resource) {
      // Should not happen (the claim prevents it); if it does, the later name gives way.
      this.log(`slot ${slot} is also held by ${res}; claiming another`);
      this.phase = 'claiming';
      const gen = this.generation;
      void this.claimSlot(gen).then(async (ok) => {
        if (!ok) return;
        this.phase = 'ready';
        await this.advertise(true);
      });
    }
  }

  private get bare(): string {
    return `${this.config.username}@${this.config.domain}`.toLowerCase();
  }

  // ------------------------------------------------------------------ jobs

  private onStanza(s: Element): void {
    if (s.name === 'presence') return this.onPresence(s);
    if (s.name !== 'message') return;
    const type = s.attrs.type ?? 'normal';
    if (type === 'error' || type === 'groupchat' || type === 'headline') return;
    const stored = s.getChild('offline', NS_OFFLINE)?.getChild('item')?.attrs.node;
    if (stored) {
      this.viewed.set(stored, s); // XEP-0013 §2.4: a stored message we asked to view
      return;
    }
    this.accept(s);
  }

  private accept(m: Element): void {
    const body = m.getChildText('body');
    const from = m.attrs.from;
    if (body === null || !from || bareOf(from) === this.bare) return; // no body, or a sibling: never answer (no loops)
    const cmd = parseCommand(body);
    if (cmd.kind === 'unknown') {
      void this.reply(m, `Unknown command: ${body}`);
      return;
    }
    this.stats.scheduled++;
    void this.reply(m, `Scheduled job ${cmd.name}`);
    this.queue.push({ name: cmd.name, ms: cmd.ms, request: m });
    this.pump();
  }

  private pump(): void {
    while (this.running < this.config.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      void this.run(job);
    }
    void this.advertise();
  }

  private async run(job: Job): Promise<void> {
    try {
      await runJob(job, { maxJobMs: this.config.maxJobMs });
      this.stats.done++;
      await this.reply(job.request, `Done job ${job.name}`);
    } catch (err) {
      this.stats.failed++;
      await this.reply(job.request, `Failed job ${job.name}: ${(err as Error).message}`);
    } finally {
      this.running--;
      this.pump();
      if (this.running === 0 && this.queue.length === 0) for (const r of this.idleWaiters.splice(0)) r();
      if (this.offlinePending) void this.drainOffline();
    }
  }

  /** The answer goes to the sender's full JID, with the request's type and thread (RFC 6121 §5.2.2, §5.2.5). */
  private reply(req: Element, text: string): Promise<void> {
    const thread = req.getChild('thread');
    return this.send(
      xml(
        'message',
        { to: req.attrs.from, type: req.attrs.type },
        xml('body', {}, text),
        thread ? xml('thread', thread.attrs.parent ? { parent: thread.attrs.parent } : {}, thread.getText()) : undefined,
      ),
    );
  }

  // ------------------------------------------------------------------ offline work (XEP-0013)

  /** Takes stored jobs one at a time while there is free capacity; the server's answer to remove says whose each is. */
  private async drainOffline(): Promise<void> {
    if (!this.flexibleOffline) return;
    if (this.offlineBusy) {
      this.offlinePending = true;
      return;
    }
    this.offlineBusy = true;
    this.offlinePending = false;
    const gen = this.generation;
    try {
      for (;;) {
        const list = await this.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_DISCO_ITEMS, node: NS_OFFLINE }))); // §2.3
        const nodes = (list.getChild('query', NS_DISCO_ITEMS)?.getChildren('item') ?? []).map((i) => i.attrs.node).filter((n): n is string => !!n);
        if (nodes.length === 0) return;
        for (const node of nodes) {
          if (gen !== this.generation || this.phase !== 'ready' || this.free() === 0) {
            this.offlinePending = this.phase === 'ready';
            return;
          }
          try {
            await this.iq(xml('iq', { type: 'get' }, xml('offline', { xmlns: NS_OFFLINE }, xml('item', { action: 'view', node })))); // §2.4
          } catch {
            continue; // item-not-found: a sibling took it meanwhile
          }
          const msg = this.viewed.get(node);
          this.viewed.delete(node);
          try {
            await this.iq(xml('iq', { type: 'set' }, xml('offline', { xmlns: NS_OFFLINE }, xml('item', { action: 'remove', node })))); // §2.5
          } catch {
            continue; // removed by a sibling first: the job is theirs
          }
          if (msg) this.accept(msg);
          else this.log(`stored message ${node} was removed but never arrived`);
        }
      }
    } catch (err) {
      this.log(`offline retrieval failed: ${(err as Error).message}`);
    } finally {
      this.offlineBusy = false;
    }
  }

  // ------------------------------------------------------------------ stopping

  private async drainAndLeave(): Promise<void> {
    const online = this.xmpp?.status === 'online';
    this.phase = 'draining';
    this.generation++; // a join in progress stops where it is
    if (online) {
      // A negative priority takes us out of bare-JID delivery at once (RFC 6121 §8.5.2.1.1);
      // messages the server routed to us before that arrive before the ping's answer.
      await this.sendPresence(-1, 'draining', this.slot);
      await this.iq(xml('iq', { type: 'get', to: this.config.domain }, xml('ping', { xmlns: NS_PING }))).catch(() => undefined);
    }
    if (this.running > 0 || this.queue.length > 0) {
      this.log(`finishing ${this.running + this.queue.length} job(s) before leaving`);
      await new Promise<void>((r) => this.idleWaiters.push(r));
    }
    this.phase = 'stopped';
    if (this.xmpp?.status === 'online') await this.send(xml('presence', { type: 'unavailable' }));
    this.xmpp?.reconnect.stop();
    await this.xmpp?.stop().catch(() => undefined);
    for (const r of this.readyWaiters.splice(0)) r();
  }

  // ------------------------------------------------------------------ plumbing

  private iq(el: Element): Promise<Element> {
    if (!this.xmpp) return Promise.reject(new Error('not started'));
    return this.xmpp.iqCaller.request(el, 10_000);
  }

  private async send(el: Element): Promise<void> {
    try {
      await this.xmpp?.send(el);
    } catch (err) {
      this.log(`cannot send (${(err as Error).message}): ${el.toString().slice(0, 200)}`);
    }
  }
}
