// Who is connected: bound c2s resources by bare/full JID with their presence state
// (RFC 6121 §4: available, priority −128..127, directed presence), and connected components
// (XEP-0114) by domain. Pure bookkeeping: the plugins decide what to do with it.

import type { Element } from '@xmpp/xml';
import type { Jid } from '../jid';
import type { StreamSession } from '../session';

export interface ResourceState {
  readonly session: StreamSession;
  readonly jid: Jid;
  /** Sent available presence (RFC 6121 §4.2) and has not gone unavailable since. */
  available: boolean;
  priority: number;
  /** The last broadcast presence it sent (for show/status and for presence to newcomers). */
  presence: Element | null;
  /** Full/bare JIDs that got directed presence from it (RFC 6121 §4.6): sent 'unavailable' on end. */
  readonly directed: Set<string>;
  /** XEP-0160: offline messages were flushed to it (once per session). */
  offlineFlushed: boolean;
  /** XEP-0013 §2.2: it used flexible offline retrieval, so no flood on presence. */
  flexibleOffline: boolean;
  /** No longer routable (the session ended). */
  ended: boolean;
}

export interface RouterView {
  /** Bound resources of a bare JID (available or not), in bind order. */
  resources(bare: string): readonly ResourceState[];
  /** The resource bound to a full JID. */
  resource(full: string): ResourceState | undefined;
  /** State of a c2s session (also after it ended). */
  stateOf(session: StreamSession): ResourceState | undefined;
  /** Every bare JID with at least one bound resource. */
  bareJids(): IterableIterator<string>;
  /** The connected component for a domain. */
  component(domain: string): StreamSession | undefined;
  components(): IterableIterator<StreamSession>;
  /** Is `domain` a configured component (connected or not)? */
  isComponentDomain(domain: string): boolean;
  /** Round-robin cursor per bare JID (config.xmpp.tieBreak = 'round-robin'). */
  nextRoundRobin(bare: string, modulo: number): number;
}

export class Router implements RouterView {
  private readonly byBare = new Map<string, ResourceState[]>();
  private readonly byFull = new Map<string, ResourceState>();
  private readonly states = new WeakMap<StreamSession, ResourceState>();
  private readonly comps = new Map<string, StreamSession>();
  private readonly rr = new Map<string, number>();

  constructor(private readonly componentDomains: () => Iterable<string>) {}

  add(session: StreamSession, jid: Jid): ResourceState {
    const st: ResourceState = {
      session,
      jid,
      available: false,
      priority: 0,
      presence: null,
      directed: new Set(),
      offlineFlushed: false,
      flexibleOffline: false,
      ended: false,
    };
    this.byFull.set(jid.full, st);
    let list = this.byBare.get(jid.bare);
    if (!list) this.byBare.set(jid.bare, (list = []));
    list.push(st);
    this.states.set(session, st);
    return st;
  }

  /** Remove the session's resource if it is still the one bound to its JID; returns its state. */
  remove(session: StreamSession): ResourceState | undefined {
    const st = this.states.get(session);
    if (!st || st.ended) return undefined;
    st.ended = true;
    if (this.byFull.get(st.jid.full) === st) this.byFull.delete(st.jid.full);
    const list = this.byBare.get(st.jid.bare);
    if (list) {
      const i = list.indexOf(st);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) {
        this.byBare.delete(st.jid.bare);
        this.rr.delete(st.jid.bare);
      }
    }
    return st;
  }

  resources(bare: string): readonly ResourceState[] {
    return this.byBare.get(bare) ?? [];
  }
  resource(full: string): ResourceState | undefined {
    return this.byFull.get(full);
  }
  stateOf(session: StreamSession): ResourceState | undefined {
    return this.states.get(session);
  }
  bareJids(): IterableIterator<string> {
    return this.byBare.keys();
  }
  allResources(): ResourceState[] {
    return [...this.byFull.values()];
  }

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
  component(domain: string): StreamSession | undefined {
    return this.comps.get(domain);
  }
  components(): IterableIterator<StreamSession> {
    return this.comps.values();
  }
  componentEntries(): IterableIterator<[string, StreamSession]> {
    return this.comps.entries();
  }
  isComponentDomain(domain: string): boolean {
    if (this.comps.has(domain)) return true;
    for (const d of this.componentDomains()) if (d === domain) return true;
    return false;
  }
  nextRoundRobin(bare: string, modulo: number): number {
    const n = this.rr.get(bare) ?? 0;
    this.rr.set(bare, n + 1);
    return n % modulo;
  }
}
