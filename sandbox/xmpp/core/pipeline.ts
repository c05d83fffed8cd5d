// The session manager's four stages (Tigase SessionManager.processPacket;
// docs/architecture.md, docs/interop.md §4): preprocess → process → postprocess (+ default action) → filter,
// then the results are routed: written to sessions, or processed again as new packets
// (the receiver's pass, P1 → P2). Trace events (sandbox/trace/events.ts) are emitted only
// while the bus is active, so the untraced path pays a branch per step.

import { xml, type Element } from '@xmpp/xml';
import type { SandboxConfig } from '../../config';
import type { Logger } from '../../log';
import type { TraceBus } from '../../trace/bus';
import type { ArrivalEvent, OutcomeEvent, Outcome, Stage, StoredRef, Verdict } from '../../trace/events';
import { serializeShared } from '../xml/serialize';
import type { Jid } from '../jid';
import { errorReply, iqResult, mayBounce } from './errors';
import type { OfflineStore, OfflineView } from './offline-store';
import { firstChild, makePacket, type Packet } from './packet';
import type { DeepReadonly, PluginConfig, PluginContext, ResultItem } from './plugin';
import { PluginRegistry, type RegisteredPlugin } from './registry';
import { liveSession, type Router, type RouterView, type SessionView } from './router';

export interface PipelineDeps {
  config: SandboxConfig;
  trace: TraceBus;
  log: Logger;
  router: Router;
  offline: OfflineStore;
  registry: PluginRegistry;
  /** What happens to a packet no processor took (Tigase's built-in default handler): plugins/default-route.ts. */
  defaultAction(p: Packet, ctx: PluginContext): void;
}

const DEFAULT_ACTION = 'sm:default';
/** A packet this many generations from the wire is a routing loop (e.g. two plugins echoing each other). */
const MAX_DEPTH = 32;

type ArrivalInput = Omit<ArrivalEvent, 'v' | 'seq' | 'ts'>;
type OutcomeInput = Omit<OutcomeEvent, 'v' | 'seq' | 'ts'>;
const PLUGIN_SOURCE = Object.freeze({ kind: 'plugin' as const });

// The global `performance` is a lazy getter in Node: look it up once.
const perf = performance;
const now = () => perf.now();
const us = (ms: number) => Math.round(ms * 1000 * 10) / 10;

interface Decision {
  outcome: Outcome;
  to?: string[];
  error?: string;
  plugin?: string;
  reason?: string;
}

/** The state of one packet's trip through the stages. */
class PacketRun {
  readonly results: ResultItem[] = [];
  decision: Decision | null = null;
  taken: string | null = null;
  produced = 0;
  /**
   * performance.now() at the last trace boundary of this pass (arrival, a plugin's end, a stage's
   * end). Work that follows a boundary synchronously starts there, so the next stage's enter, an
   * empty stage, and the next plugin's start reuse it instead of reading the clock again: a pass
   * reads it once at arrival, once per plugin, after an await, and at the outcome.
   */
  t: number;
  constructor(
    readonly p: Packet,
    readonly t0: number,
    readonly tracing: boolean,
  ) {
    this.t = t0;
  }
}

/**
 * One plugin call's context (tracks what that plugin emitted, for its trace event). The
 * pipeline and the packet's run are #private, so a plugin cannot reach the router, the
 * registry or the store through it; what it reads are the read-only views.
 */
class Ctx implements PluginContext {
  emitted: string[] | null = null;
  delivered = 0;
  readonly #pl: Pipeline;
  readonly #run: PacketRun;
  constructor(
    pl: Pipeline,
    run: PacketRun,
    readonly pluginId: string,
  ) {
    this.#pl = pl;
    this.#run = run;
  }
  get xml(): typeof xml {
    return xml;
  }
  get session(): SessionView | null {
    return this.#run.p.session;
  }
  get domain(): string {
    return this.#pl.domain;
  }
  get config(): PluginConfig {
    return this.#pl.pluginConfig;
  }
  get log(): Logger {
    return this.#pl.deps.log;
  }
  get router(): RouterView {
    return this.#pl.deps.router.view;
  }
  get offline(): OfflineView {
    return this.#pl.deps.offline.view;
  }
  get decided(): boolean {
    return this.#run.decision !== null || this.#run.results.length > 0;
  }
  out(stanza: Element): void {
    const id = this.#pl.emit(this.#run, stanza, this.pluginId);
    if (id) (this.emitted ??= []).push(id);
  }
  deliver(session: SessionView, stanza: Element): void {
    // Only a view the server made can be written to (a look-alike object has no live session).
    if (!liveSession(session)) throw new TypeError(`ctx.deliver: not a session view (${String(session?.id)})`);
    this.#run.results.push({ element: stanza, session, producedBy: this.pluginId });
    this.delivered++;
  }
  error(condition: string, text?: string): void {
    const el = this.#run.p.element;
    if (!this.#run.decision) this.#run.decision = { outcome: mayBounce(el) ? 'bounced' : 'ignored', error: condition, plugin: this.pluginId };
    if (mayBounce(el)) this.out(errorReply(el, condition, this.#pl.domain, text));
  }
  result(payload?: Element): void {
    const el = this.#run.p.element;
    if (el.name === 'iq' && (el.attrs.type === 'get' || el.attrs.type === 'set')) this.out(iqResult(el, this.#pl.domain, payload));
  }
  stored(bareJid: string): void {
    this.#run.decision = { outcome: 'stored-offline', to: [bareJid], plugin: this.pluginId };
  }
  ignore(reason?: string): void {
    if (!this.#run.decision) this.#run.decision = { outcome: 'ignored', plugin: this.pluginId, reason };
  }
  isServer(j: Jid | null): boolean {
    return j === null || (j.local === '' && j.domain === this.#pl.domain);
  }
  isLocalUser(j: Jid | null): boolean {
    return j !== null && j.local !== '' && j.domain === this.#pl.domain;
  }
}

export class Pipeline {
  readonly domain: string;
  /** ctx.config: a frozen copy, so a plugin cannot change the settings the server routes by. */
  readonly pluginConfig: PluginConfig;
  stanzasOut = 0;

  constructor(readonly deps: PipelineDeps) {
    this.domain = deps.config.xmpp.domain;
    this.pluginConfig = freezeCopy(deps.config);
  }

  /** Label for a session in the trace: full JID (c2s) or component domain. */
  static label(s: SessionView): string {
    return s.jid ? (s.kind === 'component' ? s.jid.domain : s.jid.full) : s.id;
  }

  /** A result routed by `to` becomes a new packet (the receiver's pass). Returns its id, or null if its JIDs are malformed. */
  emit(run: PacketRun, stanza: Element, producedBy: string): string | null {
    if (run.p.depth >= MAX_DEPTH) {
      this.deps.log.warn(`routing loop: ${producedBy} emitted a packet ${MAX_DEPTH} generations deep (from ${run.p.id}); dropped`);
      return null;
    }
    let child: Packet;
    try {
      // A forwarded copy of the same frozen element keeps the parent's parsed addresses.
      const same = stanza === run.p.element && stanza.attrs.to !== undefined;
      child = makePacket({
        element: stanza,
        direction: 'in',
        source: PLUGIN_SOURCE,
        parentId: run.p.id,
        producedBy,
        depth: run.p.depth + 1,
        ...(same ? { from: run.p.from, to: run.p.to } : {}),
      });
    } catch (err) {
      this.deps.log.warn(`plugin ${producedBy} emitted a stanza with a malformed JID; dropped`, err);
      return null;
    }
    run.results.push({ element: child.element, producedBy, packetId: child.id, packet: child });
    run.produced++;
    return child.id;
  }

  /** Process a packet through all stages; resolves when it and the packets it produced are done. */
  run(p: Packet): void | Promise<void> {
    const trace = this.deps.trace;
    const tracing = trace.active;
    const t0 = tracing ? now() : 0;
    const run = new PacketRun(p, t0, tracing);
    if (tracing) this.traceArrival(p, t0);
    try {
      if (this.preprocess(run)) return this.finish(run);
      const pending = this.process(run);
      if (pending) return pending.then(() => this.afterProcess(run)).catch((err) => this.deps.log.error(`pipeline failed on ${p.id}`, err));
      return this.afterProcess(run);
    } catch (err) {
      this.deps.log.error(`pipeline failed on ${p.id}`, err);
    }
  }

  private afterProcess(run: PacketRun): void | Promise<void> {
    this.postprocess(run);
    return this.finish(run);
  }

  // ---- stage 1: preprocess (inline; any true blocks) ----
  private preprocess(run: PacketRun): boolean {
    const regs = this.deps.registry.pre;
    const { p, tracing } = run;
    if (regs.length === 0) {
      // The stage is still passed through: the trace shows it, empty (events.ts contract).
      if (tracing) this.emptyStage(run, 'preprocess');
      return false;
    }
    const ts = tracing ? this.stageEnter(run, 'preprocess') : 0;
    let blocked = false;
    for (const reg of regs) {
      const ctx = new Ctx(this, run, reg.plugin.id);
      let verdict: Verdict = 'passed';
      let reason: string | undefined;
      let error: string | undefined;
      try {
        const r = reg.plugin.preProcess!(p, ctx);
        if (r === true || (r && typeof r === 'object' && r.block)) {
          verdict = 'blocked';
          reason = typeof r === 'object' ? r.reason : undefined;
          if (!blocked) {
            blocked = true;
            run.decision = { outcome: 'blocked', plugin: reg.plugin.id, reason };
          }
        }
      } catch (err) {
        verdict = 'error';
        error = errMsg(err);
        this.deps.log.warn(`plugin ${reg.plugin.id} threw in preprocess (packet passes)`, err);
      }
      if (tracing) this.tracePlugin(run, 'preprocess', reg.plugin.id, verdict, run.t, ctx.emitted, reason, error);
    }
    if (tracing) this.stageLeave(run, 'preprocess', ts);
    // Tigase step 7: a blocked iq request still gets an answer, so the client is not left waiting.
    if (blocked && p.kind === 'iq' && (p.type === 'get' || p.type === 'set')) {
      this.emit(run, errorReply(p.element, 'service-unavailable', this.domain), run.decision!.plugin!);
    }
    return blocked;
  }

  // ---- stage 2: process (every interested processor, own bounded queue, per-bare-JID order) ----
  private process(run: PacketRun): Promise<unknown> | null {
    const { p, tracing } = run;
    let ts = 0;
    let pending: Promise<unknown>[] | null = null;
    let entered = false;
    const cap = this.deps.config.xmpp.processorQueueSize;
    for (const reg of this.deps.registry.proc) {
      if (!PluginRegistry.wants(reg, p)) continue;
      if (!entered) {
        entered = true;
        if (tracing) ts = this.stageEnter(run, 'process');
      }
      if (reg.queued >= cap) {
        if (tracing) this.tracePlugin(run, 'process', reg.plugin.id, 'queue-full', null, null);
        this.deps.log.warn(`plugin ${reg.plugin.id}: queue full (${cap}); ${p.id} answered with resource-constraint`);
        const ctx = new Ctx(this, run, reg.plugin.id);
        ctx.error('resource-constraint', `plugin ${reg.plugin.id} is overloaded`);
        run.taken ??= reg.plugin.id;
        continue;
      }
      const r = this.enqueue(reg, run);
      if (r) (pending ??= []).push(r);
    }
    if (!entered) {
      if (tracing) this.emptyStage(run, 'process');
      return null;
    }
    if (pending) {
      return Promise.all(pending).then(() => {
        if (!tracing) return;
        run.t = now(); // after an await: time has passed since the last boundary
        this.stageLeave(run, 'process', ts);
      });
    }
    if (tracing) this.stageLeave(run, 'process', ts);
    return null;
  }

  private enqueue(reg: RegisteredPlugin, run: PacketRun): Promise<void> | null {
    const p = run.p;
    const key = (p.direction === 'out' ? p.from?.bare : p.to?.bare) ?? '';
    reg.queued++;
    const tail = reg.chains.get(key);
    if (!tail) {
      const r = this.callProcess(reg, run, false);
      if (!r) return null;
      return this.chain(reg, key, r);
    }
    return this.chain(reg, key, tail.then(() => this.callProcess(reg, run, true) ?? undefined));
  }

  private chain(reg: RegisteredPlugin, key: string, done: Promise<void>): Promise<void> {
    const tail = done.catch(() => undefined);
    reg.chains.set(key, tail);
    void tail.then(() => {
      if (reg.chains.get(key) === tail) reg.chains.delete(key);
    });
    return tail;
  }

  /**
   * Call one processor; returns a promise only when the plugin is async. Decrements the queue when
   * done. `deferred`: it waited in its queue, so it does not start at the last trace boundary.
   */
  private callProcess(reg: RegisteredPlugin, run: PacketRun, deferred: boolean): Promise<void> | null {
    const { p, tracing } = run;
    const t = tracing ? (deferred ? now() : run.t) : 0;
    const ctx = new Ctx(this, run, reg.plugin.id);
    const settle = (r: unknown, err?: unknown) => {
      reg.queued--;
      let verdict: Verdict;
      if (err !== undefined) {
        verdict = 'error';
        this.deps.log.warn(`plugin ${reg.plugin.id} threw in process`, err);
        run.taken ??= reg.plugin.id;
        // RFC 6120 §8.3.3.6: the request failed on our side.
        if (p.kind === 'iq' && !run.decision) ctx.error('internal-server-error');
      } else if (r === false) verdict = 'passed';
      else {
        run.taken ??= reg.plugin.id;
        verdict = ctx.emitted || ctx.delivered ? 'produced' : 'handled';
      }
      if (tracing) this.tracePlugin(run, 'process', reg.plugin.id, verdict, t, ctx.emitted, undefined, err === undefined ? undefined : errMsg(err));
    };
    let r: unknown;
    try {
      r = reg.plugin.process!(p, ctx);
    } catch (err) {
      settle(undefined, err ?? 'error');
      return null;
    }
    if (r && typeof (r as Promise<unknown>).then === 'function') {
      return (r as Promise<unknown>).then(
        (v) => settle(v),
        (err) => settle(undefined, err ?? 'error'),
      );
    }
    settle(r);
    return null;
  }

  // ---- stage 3: postprocess, then the default action ----
  private postprocess(run: PacketRun): void {
    const { p, tracing } = run;
    const regs = this.deps.registry.post;
    const ts = tracing ? this.stageEnter(run, 'postprocess') : 0;
    for (const reg of regs) {
      const ctx = new Ctx(this, run, reg.plugin.id);
      let verdict: Verdict = 'passed';
      let error: string | undefined;
      try {
        const r = reg.plugin.postProcess!(p, ctx);
        if (ctx.emitted || ctx.delivered) verdict = 'produced';
        else if (r === true) verdict = 'handled';
      } catch (err) {
        verdict = 'error';
        error = errMsg(err);
        this.deps.log.warn(`plugin ${reg.plugin.id} threw in postprocess`, err);
      }
      if (tracing) this.tracePlugin(run, 'postprocess', reg.plugin.id, verdict, run.t, ctx.emitted, undefined, error);
    }
    if (!run.taken && !run.decision && run.results.length === 0) {
      const ctx = new Ctx(this, run, DEFAULT_ACTION);
      this.deps.defaultAction(p, ctx);
      if (tracing) this.tracePlugin(run, 'postprocess', DEFAULT_ACTION, ctx.emitted || ctx.delivered ? 'produced' : 'handled', run.t, ctx.emitted);
    }
    if (tracing) this.stageLeave(run, 'postprocess', ts);
  }

  // ---- stage 4: filter the results, route them, record the outcome ----
  private finish(run: PacketRun): void | Promise<void> {
    const { p, tracing } = run;
    const results = run.results;
    const filters = this.deps.registry.filt;
    if (results.length > 0 && filters.length > 0) {
      const ts = tracing ? this.stageEnter(run, 'filter') : 0;
      for (const reg of filters) {
        const before = results.slice();
        const ctx = new Ctx(this, run, reg.plugin.id);
        let verdict: Verdict = 'passed';
        let reason: string | undefined;
        let error: string | undefined;
        try {
          reason = reg.plugin.filter!(p, ctx, results) || undefined;
          if (results.length < before.length || before.some((r) => !results.includes(r))) {
            verdict = 'dropped';
            if (results.length === 0 && (!run.decision || run.decision.outcome !== 'blocked')) run.decision = { outcome: 'dropped', plugin: reg.plugin.id, reason };
          }
        } catch (err) {
          verdict = 'error';
          error = errMsg(err);
          results.length = 0;
          results.push(...before);
          this.deps.log.warn(`plugin ${reg.plugin.id} threw in filter (results kept)`, err);
        }
        if (tracing) this.tracePlugin(run, 'filter', reg.plugin.id, verdict, run.t, ctx.emitted, reason, error);
      }
      if (tracing) this.stageLeave(run, 'filter', ts);
    } else if (tracing) {
      this.emptyStage(run, 'filter');
    }

    let deliveredTo: string[] | null = null;
    let produced: string[] | null = null;
    let children: Packet[] | null = null;
    for (const r of results) {
      if (r.session) {
        const live = liveSession(r.session);
        if (!live) {
          this.deps.log.warn(`a result of ${p.id} names no session the server made; dropped`);
          continue;
        }
        if (live.send(r.element)) this.stanzasOut++;
        (deliveredTo ??= []).push(Pipeline.label(r.session));
      } else {
        const child = r.packet;
        if (!child) continue;
        (produced ??= []).push(child.id);
        (children ??= []).push(child);
      }
    }
    if (tracing) {
      const d = run.decision;
      let outcome: Outcome;
      if (d && d.outcome !== 'ignored') outcome = d.outcome;
      else if (deliveredTo) outcome = 'delivered';
      else if (produced) outcome = 'forwarded';
      else if (d) outcome = d.outcome;
      else outcome = run.taken ? 'handled' : 'ignored';
      const t = now();
      // One shape for every outcome, as for arrivals (traceArrival).
      const e: OutcomeInput = {
        type: 'outcome',
        packetId: p.id,
        outcome,
        totalUs: us(t - run.t0),
        to: outcome === 'delivered' ? deliveredTo! : d?.to,
        produced: produced ?? undefined,
        error: d?.error || undefined,
        plugin: d?.plugin || (outcome === 'handled' && run.taken) || undefined,
        reason: d?.reason || undefined,
      };
      this.deps.trace.emit(e, t);
    }
    if (!children) return;
    let chain: Promise<void> | null = null;
    for (const c of children) {
      if (chain) chain = chain.then(() => this.run(c));
      else {
        const r = this.run(c);
        if (r) chain = r;
      }
    }
    return chain ?? undefined;
  }

  // ---- trace helpers ----
  /**
   * `t`: performance.now() at arrival, when the caller already took it. `stored`: the packet
   * delivers a message out of the offline store (core/offline-delivery.ts).
   */
  traceArrival(p: Packet, t: number = now(), stored?: StoredRef): void {
    const el = p.element;
    // A forwarded copy shares its parent's frozen element, and the receiver's stream writes
    // it next: serializeShared makes the text once for the three.
    const xml = serializeShared(el);
    const c = firstChild(el);
    // Every key, in one order, absent ones undefined (the ring records undefined as absent): one
    // object shape for every arrival, so the bus reads its fields at monomorphic sites.
    const e: ArrivalInput = {
      type: 'arrival',
      packetId: p.id,
      source: p.source,
      direction: p.direction,
      kind: p.kind,
      stanzaType: p.type || (el.attrs.type ?? ''),
      xml,
      bytes: Buffer.byteLength(xml),
      from: p.from ? p.from.full : undefined,
      to: p.to ? p.to.full : undefined,
      id: el.attrs.id || undefined,
      child: c ? c.name : undefined,
      xmlns: (c && c.attrs.xmlns) || undefined,
      parentId: p.parentId || undefined,
      producedBy: p.producedBy || undefined,
      stored,
    };
    this.deps.trace.emit(e, t);
  }

  /** For packets settled without the stages (malformed addresses, unacked re-routing). */
  traceOutcome(p: Packet, outcome: Outcome, extra: { to?: string[]; error?: string; reason?: string } = {}): void {
    // Keys in the same order as finish()'s outcome events (the bus rebuilds them in that order).
    const e: OutcomeInput = { type: 'outcome', packetId: p.id, outcome, totalUs: 0 };
    if (extra.to) e.to = extra.to;
    if (extra.error) e.error = extra.error;
    if (extra.reason) e.reason = extra.reason;
    this.deps.trace.emit(e);
  }

  // The clock is read where time was spent: at arrival, when a plugin returns, after an await
  // and at the outcome. A stage's enter and leave reuse the last of those (run.t): nothing the
  // trace measures happens between a plugin's end and the stage's end, or between one stage's
  // end and the next one's start. The bus records stage and plain plugin events without
  // allocating (see TraceBus.stage/plugin).

  /** Returns the enter time, the start of the stage's duration. */
  private stageEnter(run: PacketRun, stage: Stage): number {
    this.deps.trace.stage(run.p.id, stage, 'enter', run.t);
    return run.t;
  }

  private stageLeave(run: PacketRun, stage: Stage, t0: number): void {
    this.deps.trace.stage(run.p.id, stage, 'leave', run.t, us(run.t - t0));
  }

  /** A stage no plugin acted in: enter and leave at the last boundary. */
  private emptyStage(run: PacketRun, stage: Stage): void {
    this.deps.trace.stage(run.p.id, stage, 'enter', run.t);
    this.deps.trace.stage(run.p.id, stage, 'leave', run.t, 0);
  }

  /**
   * `t0`: when the plugin started (null: it did not run); its end, now, becomes the run's last
   * boundary when the plugin ran synchronously.
   */
  private tracePlugin(run: PacketRun, stage: Stage, plugin: string, verdict: Verdict, t0: number | null, produced: string[] | null, reason?: string, error?: string): void {
    const t = now();
    this.deps.trace.plugin(run.p.id, stage, plugin, verdict, t, t0 === null ? 0 : us(t - t0), produced, reason, error);
    run.t = t;
  }
}

function freezeCopy<T>(v: T): DeepReadonly<T> {
  if (typeof v !== 'object' || v === null) return v as DeepReadonly<T>;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(v) ? v.map(freezeCopy) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, freezeCopy(x)]));
  return Object.freeze(copy) as DeepReadonly<T>;
}

function errMsg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
