// Who is connected: bound c2s resources by bare/full JID with their presence state
// (RFC 6121 §4: available, priority −128..127, directed presence), and connected components
// (XEP-0114) by domain. Pure bookkeeping: the plugins decide what to do with it.
//
// Two surfaces:
// - the Router itself, privileged: binding, session end, components, and every state change
//   as a named method (setPresence, addDirected, markOfflineFlushed, ...). The session
//   manager and the control API hold it; built-in plugins get the one method they need when
//   they are created (sandbox/xmpp/plugins/index.ts).
// - `router.view` (RouterView), what every plugin gets as ctx.router: read-only views of
//   resources and sessions, made once per resource/session (no allocation per stanza). The
//   views are frozen objects with getters over state they do not expose, so writing to one
//   throws a TypeError (or is ignored in sloppy-mode code) and never changes routing.

import type { Element } from '@xmpp/xml';
import type { Jid } from '../jid';
import type { StreamSession } from '../session';

/**
 * A c2s or component session as plugins see it: its identity and XEP-0198 state, read live
 * (StreamSession without send/close; pass it to ctx.deliver).
 */
export type SessionView = Pick<StreamSession, 'id' | 'kind' | 'transport' | 'jid' | 'connectedAt' | 'sm'>;

/** One bound resource as plugins see it: its session and presence state (RFC 6121 §4). */
export interface ResourceView {
  readonly session: SessionView;
  readonly jid: Jid;
  /** Sent available presence (RFC 6121 §4.2) and has not gone unavailable since. */
  readonly available: boolean;
  /** RFC 6121 §4.7.2.3: −128..127; 0 until the first available presence. */
  readonly priority: number;
  /** RFC 6121 §4.7.2.1 <show/> of the last broadcast presence (away, chat, dnd, xa), or null. */
  readonly show: string | null;
  /** RFC 6121 §4.7.2.2 <status/> of the last broadcast presence, or null. */
  readonly status: string | null;
  /** The last broadcast available presence (a frozen element), or null. */
  readonly presence: Element | null;
  /** Full/bare JIDs that got directed presence from it (RFC 6121 §4.6); sent 'unavailable' on end. */
  readonly directed: ReadonlySet<string>;
  /** XEP-0160: offline messages were flushed to it (once per session). */
  readonly offlineFlushed: boolean;
  /** XEP-0013 §2.2: it used flexible offline retrieval, so no flood on presence. */
  readonly flexibleOffline: boolean;
  /** No longer routable (the session ended). */
  readonly ended: boolean;
}

/** The router as plugins see it (ctx.router): lookups only. */
export interface RouterView {
  /** Bound resources of a bare JID (available or not), in bind order. */
  resources(bare: string): readonly ResourceView[];
  /** The resource bound to a full JID. */
  resource(full: string): ResourceView | undefined;
  /** State of a c2s session (also after it ended). */
  stateOf(session: SessionView): ResourceView | undefined;
  /** Every bare JID with at least one bound resource. */
  bareJids(): IterableIterator<string>;
  /** The connected component for a domain. */
  component(domain: string): SessionView | undefined;
  components(): IterableIterator<SessionView>;
  /** Is `domain` a configured component (connected or not)? */
  isComponentDomain(domain: string): boolean;
}

/**
 * A resource as the session manager and the control API see it (privileged): the view's
 * fields, with the live session (to close it or write to its stream) and the view itself.
 */
export interface ResourceState extends Omit<ResourceView, 'session'> {
  readonly session: StreamSession;
  readonly view: ResourceView;
}

/** What a broadcast presence sets (RFC 6121 §4.2, §4.4, §4.5). */
export interface PresenceUpdate {
  available: boolean;
  /** RFC 6121 §4.7.2.3, already clamped; kept as it was when omitted. */
  priority?: number;
  /** The broadcast stanza (frozen); its <show/> and <status/> are read from it. Null clears them. */
  stanza: Element | null;
}

// ---- views: frozen, getters only, the state they read is in #private fields ----

let liveOf: (v: unknown) => StreamSession | undefined;

class SessionHandle implements SessionView {
  readonly #s: StreamSession;
  constructor(s: StreamSession) {
    this.#s = s;
    Object.freeze(this);
  }
  get id(): string {
    return this.#s.id;
  }
  get kind(): 'c2s' | 'component' {
    return this.#s.kind;
  }
  get transport(): 'tcp' | 'websocket' | 'component' {
    return this.#s.transport;
  }
  get jid(): Jid | null {
    return this.#s.jid;
  }
  get connectedAt(): number {
    return this.#s.connectedAt;
  }
  get sm(): 'off' | 'on' | 'detached' {
    return this.#s.sm;
  }
  static {
    liveOf = (v) => (typeof v === 'object' && v !== null && #s in v ? (v as SessionHandle).#s : undefined);
  }
}
Object.freeze(SessionHandle.prototype);

const sessionViews = new WeakMap<StreamSession, SessionView>();

/** The one view of a session (made on first use, then cached); a view is returned as is. */
export function sessionView(s: StreamSession | SessionView): SessionView {
  if (s instanceof SessionHandle) return s;
  const live = s as StreamSession;
  let v = sessionViews.get(live);
  if (!v) sessionViews.set(live, (v = new SessionHandle(live)));
  return v;
}

/**
 * The live session behind a view made by sessionView(), else undefined (a look-alike object).
 * Privileged: the pipeline writes results through it; not part of sandbox/plugin-api.ts.
 */
export function liveSession(v: SessionView): StreamSession | undefined {
  return liveOf(v);
}

class ReadonlySetView<T> implements ReadonlySet<T> {
  readonly #set: Set<T>;
  constructor(set: Set<T>) {
    this.#set = set;
    Object.freeze(this);
  }
  get size(): number {
    return this.#set.size;
  }
  has(value: T): boolean {
    return this.#set.has(value);
  }
  forEach(cb: (value: T, value2: T, set: ReadonlySet<T>) => void, thisArg?: unknown): void {
    for (const v of this.#set) cb.call(thisArg, v, v, this);
  }
  keys() {
    return this.#set.keys();
  }
  values() {
    return this.#set.values();
  }
  entries() {
    return this.#set.entries();
  }
  [Symbol.iterator]() {
    return this.#set.values();
  }
}
Object.freeze(ReadonlySetView.prototype);

/** The router's own record of a resource: mutable, never handed to plugins. */
class Entry implements ResourceState {
  available = false;
  priority = 0;
  show: string | null = null;
  status: string | null = null;
  presence: Element | null = null;
  readonly directed = new Set<string>();
  offlineFlushed = false;
  flexibleOffline = false;
  ended = false;
  readonly sessionView: SessionView;
  readonly view: ResourceView;
  constructor(
    readonly session: StreamSession,
    readonly jid: Jid,
  ) {
    this.sessionView = sessionView(session);
    this.view = new ResourceHandle(this);
  }
}

class ResourceHandle implements ResourceView {
  readonly #e: Entry;
  readonly #directed: ReadonlySet<string>;
  constructor(e: Entry) {
    this.#e = e;
    this.#directed = new ReadonlySetView(e.directed);
    Object.freeze(this);
  }
  get session(): SessionView {
    return this.#e.sessionView;
  }
  get jid(): Jid {
    return this.#e.jid;
  }
  get available(): boolean {
    return this.#e.available;
  }
  get priority(): number {
    return this.#e.priority;
  }
  get show(): string | null {
    return this.#e.show;
  }
  get status(): string | null {
    return this.#e.status;
  }
  get presence(): Element | null {
    return this.#e.presence;
  }
  get directed(): ReadonlySet<string> {
    return this.#directed;
  }
  get offlineFlushed(): boolean {
    return this.#e.offlineFlushed;
  }
  get flexibleOffline(): boolean {
    return this.#e.flexibleOffline;
  }
  get ended(): boolean {
    return this.#e.ended;
  }
}
Object.freeze(ResourceHandle.prototype);

const NO_RESOURCES: readonly ResourceView[] = Object.freeze([]);

function* viewsOf(sessions: Iterable<StreamSession>): IterableIterator<SessionView> {
  for (const s of sessions) yield sessionView(s);
}

export class Router {
  /** Per bare JID, the views of its resources in bind order: a frozen array, replaced on bind/unbind. */
  private readonly byBare = new Map<string, readonly ResourceView[]>();
  private readonly byFull = new Map<string, Entry>();
  /** Keyed by the live session and by its view, so either finds the entry. */
  private readonly states = new WeakMap<SessionView, Entry>();
  private readonly comps = new Map<string, StreamSession>();
  private readonly rr = new Map<string, number>();

  /** What plugins get as ctx.router: lookups that answer with views; made once, frozen. */
  readonly view: RouterView = Object.freeze<RouterView>({
    resources: (bare) => this.byBare.get(bare) ?? NO_RESOURCES,
    resource: (full) => this.byFull.get(full)?.view,
    stateOf: (session) => this.states.get(session)?.view,
    bareJids: () => this.byBare.keys(),
    component: (domain) => {
      const s = this.comps.get(domain);
      return s && sessionView(s);
    },
    components: () => viewsOf(this.comps.values()),
    isComponentDomain: (domain) => this.isComponentDomain(domain),
  });

  constructor(private readonly componentDomains: () => Iterable<string>) {}

  // ---- sessions (the session manager) ----

  /** RFC 6120 §7: `session` is bound as `jid`. */
  add(session: StreamSession, jid: Jid): ResourceState {
    const e = new Entry(session, jid);
    this.byFull.set(jid.full, e);
    this.byBare.set(jid.bare, Object.freeze([...(this.byBare.get(jid.bare) ?? []), e.view]));
    this.states.set(session, e);
    this.states.set(e.sessionView, e);
    return e;
  }

  /** Remove the session's resource if it is still the one bound to its JID; returns its state. */
  remove(session: StreamSession): ResourceState | undefined {
    const e = this.states.get(session);
    if (!e || e.ended) return undefined;
    e.ended = true;
    if (this.byFull.get(e.jid.full) === e) this.byFull.delete(e.jid.full);
    const list = this.byBare.get(e.jid.bare);
    if (list) {
      const rest = list.filter((v) => v !== e.view);
      if (rest.length > 0) this.byBare.set(e.jid.bare, Object.freeze(rest));
      else {
        this.byBare.delete(e.jid.bare);
        this.rr.delete(e.jid.bare);
      }
    }
    return e;
  }

  /** The resource bound to a full JID, with its live session. */
  resource(full: string): ResourceState | undefined {
    return this.byFull.get(full);
  }
  /** State of a c2s session, by the session or its view (also after it ended). */
  stateOf(session: SessionView): ResourceState | undefined {
    return this.states.get(session);
  }
  allResources(): ResourceState[] {
    return [...this.byFull.values()];
  }

  // ---- state changes (built-in plugins, each given only the methods it needs) ----

  /** RFC 6121 §4.2/§4.4/§4.5: a broadcast presence. A session that ended stays unavailable. */
  setPresence(session: SessionView, update: PresenceUpdate): void {
    const e = this.states.get(session);
    if (!e) return;
    e.available = update.available && !e.ended;
    if (update.priority !== undefined) e.priority = update.priority;
    e.presence = update.stanza;
    e.show = update.stanza?.getChildText('show') ?? null;
    e.status = update.stanza?.getChildText('status') ?? null;
  }

  /** RFC 6121 §4.6: `session` sent available presence to `to`. */
  addDirected(session: SessionView, to: string): void {
    this.states.get(session)?.directed.add(to);
  }

  /** RFC 6121 §4.6: `session` sent unavailable presence to `to`. */
  removeDirected(session: SessionView, to: string): void {
    this.states.get(session)?.directed.delete(to);
  }

  /** RFC 6121 §4.6.3: forget every directed-presence target of `session` and return them. */
  takeDirected(session: SessionView): string[] {
    const e = this.states.get(session);
    if (!e || e.directed.size === 0) return [];
    const out = [...e.directed];
    e.directed.clear();
    return out;
  }

  /** XEP-0160: offline messages were flushed to `session` (once per session). */
  markOfflineFlushed(session: SessionView): void {
    const e = this.states.get(session);
    if (e) e.offlineFlushed = true;
  }

  /** XEP-0013 §2.2: `session` used flexible offline retrieval (no flood on presence). */
  markFlexibleOffline(session: SessionView): void {
    const e = this.states.get(session);
    if (e) e.flexibleOffline = true;
  }

  /** Round-robin cursor per bare JID (config.xmpp.tieBreak = 'round-robin'); advances it. */
  nextRoundRobin(bare: string, modulo: number): number {
    const n = this.rr.get(bare) ?? 0;
    this.rr.set(bare, n + 1);
    return n % modulo;
  }

  // ---- components (XEP-0114) ----

  addComponent(session: StreamSession, domain: string): boolean {
    if (this.comps.has(domain)) return false;
    this.comps.set(domain, session);
    return true;
  }
  removeComponent(session: StreamSession): boolean {
    for (const [d, s] of this.comps) {
      if (s === session) {
        this.comps.delete(d);
        return true;
      }
    }
    return false;
  }
  componentEntries(): IterableIterator<[string, StreamSession]> {
    return this.comps.entries();
  }
  isComponentDomain(domain: string): boolean {
    if (this.comps.has(domain)) return true;
    for (const d of this.componentDomains()) if (d === domain) return true;
    return false;
  }
}
