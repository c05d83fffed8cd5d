// The session manager behind SessionManagerPort (sandbox/xmpp/session.ts): binding
// (RFC 6120 §7), stanzas into the pipeline with `from` stamped (§8.1.2.1), session end with
// presence cleanup and XEP-0198 §4/§5 re-routing of unacknowledged stanzas, components (XEP-0114).

import { cloneElement } from '../xml/clone';
import { randomBytes } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import type { Logger } from '../../log';
import type { PacketSource } from '../../trace/events';
import { JidError, parseJid, toBare, tryParseJid, withResource, type Jid } from '../jid';
import { BindError, type SessionManagerPort, type StreamSession } from '../session';
import { errorReply, mayBounce } from './errors';
import type { OfflineDelivery } from './offline-delivery';
import type { DiskOfflineStore } from './offline-store';
import { isStanzaKind, jidAttr, makePacket } from './packet';
import type { Pipeline } from './pipeline';
import type { PluginRegistry } from './registry';
import { sessionView, type Router } from './router';
import { storeOffline } from '../plugins/offline';
import { NS_DISCO_INFO, STANZA_NAMESPACES } from '../vocabulary';

const STREAM_NS = new Set(STANZA_NAMESPACES);

export interface SessionManagerDeps {
  domain: string;
  router: Router;
  pipeline: Pipeline;
  registry: PluginRegistry;
  offline: DiskOfflineStore;
  /** Paced delivery out of the store (re-routed stanzas go through it, like the flood). */
  delivery: Pick<OfflineDelivery, 'redeliver'>;
  log: Logger;
  /** Something about sessions/components changed (explorer refresh). */
  changed(what: 'sessions' | 'components'): void;
}

export class SessionManager implements SessionManagerPort {
  readonly domain: string;
  stanzasIn = 0;
  private readonly sources = new WeakMap<StreamSession, PacketSource>();

  constructor(private readonly d: SessionManagerDeps) {
    this.domain = d.domain;
  }

  bind(session: StreamSession, bare: Jid, requestedResource: string | null): Jid {
    if (bare.domain !== this.domain || !bare.local) throw new BindError('not-allowed', `cannot bind ${bare.bare} on ${this.domain}`);
    let full: Jid;
    if (requestedResource === null || requestedResource === '') {
      do full = withResource(bare, 'sandbox-' + randomBytes(4).toString('hex'));
      while (this.d.router.resource(full.full));
    } else {
      try {
        full = parseJid(`${bare.bare}/${requestedResource}`);
      } catch (err) {
        throw new BindError('bad-request', err instanceof Error ? err.message : 'invalid resource');
      }
    }
    const old = this.d.router.resource(full.full);
    if (old && old.session !== session) {
      // RFC 6120 §7.7.2.2: the newer session wins; the old one gets <conflict/>.
      this.d.log.info(`${full.full} bound again: closing ${old.session.id} with conflict`);
      this.endResource(old.session, []);
      old.session.close('conflict', 'Replaced by a new connection');
    }
    this.d.router.add(session, full);
    this.d.changed('sessions');
    return full;
  }

  streamFeatures(session: StreamSession): Element[] {
    const out: Element[] = [];
    for (const r of this.d.registry.plugins()) {
      try {
        if (r.plugin.streamFeatures) out.push(...r.plugin.streamFeatures(sessionView(session)));
      } catch (err) {
        this.d.log.warn(`plugin ${r.plugin.id}: streamFeatures threw`, err);
      }
    }
    return out;
  }

  receive(session: StreamSession, stanza: Element): void {
    if (!isStanzaKind(stanza.name)) return;
    this.stanzasIn++;
    if (session.kind === 'component') {
      const source: PacketSource = { kind: 'component', sessionId: session.id, jid: session.jid?.domain, transport: 'component' };
      const queue = this.bridgeQueue(session.jid?.domain, stanza);
      if (queue) source.queue = queue;
      this.enter(stanza, 'in', session, source, null);
      return;
    }
    if (!session.jid) return;
    // Broadcast presence changes availability/priority/show shown in the explorer.
    const presenceChange = stanza.name === 'presence' && !stanza.attrs.to;
    this.enter(stanza, 'out', session, this.c2sSource(session, session.jid), session.jid);
    if (presenceChange) this.d.changed('sessions');
  }

  /**
   * The list a stanza from the sandbox's own bridge was popped from (sandbox/bridge/bridge.ts),
   * so the trace can say so. The embedded bridge (no xmppService of its own) holds its domain
   * on this server (a second component of that domain is refused, XEP-0114 §3); what it sends
   * is queue items, except its answers to disco#info (XEP-0030 §3.1), which it makes itself.
   */
  private bridgeQueue(domain: string | undefined, stanza: Element): string | undefined {
    const b = this.d.pipeline.deps.config.bridge;
    if (!b.enabled || b.xmppService || domain !== b.domain) return undefined;
    if (stanza.name === 'iq' && stanza.attrs.type === 'result' && stanza.getChild('query', NS_DISCO_INFO)) return undefined;
    return b.inList;
  }

  /**
   * The trace's source of what a c2s session sends: one frozen object per session and JID, not
   * one per stanza (the trace ring keeps a reference to it for every packet).
   */
  private c2sSource(session: StreamSession, jid: Jid): PacketSource {
    const known = this.sources.get(session);
    if (known && known.jid === jid.full) return known;
    const source: PacketSource = Object.freeze({ kind: 'c2s', sessionId: session.id, jid: jid.full, transport: session.transport });
    this.sources.set(session, source);
    return source;
  }

  /**
   * Put a stanza into the pipeline. `stampFrom` (c2s, injection) overrides `from`
   * (RFC 6120 §8.1.2.1). A malformed `to`/`from` is answered with jid-malformed (§8.3.3.8).
   * Returns the packet id (or null when the stanza was refused before becoming a packet).
   */
  enter(stanza: Element, direction: 'in' | 'out', session: StreamSession | null, source: PacketSource, stampFrom: Jid | null): string | null {
    // The stream's default namespace is implied; drop it so the packet is namespace-neutral.
    if (stanza.attrs.xmlns !== undefined && STREAM_NS.has(stanza.attrs.xmlns)) delete stanza.attrs.xmlns;
    if (stampFrom) stanza.attrs.from = stampFrom.full;
    let from: Jid | null;
    let to: Jid | null;
    try {
      from = jidAttr(stanza, 'from');
      to = jidAttr(stanza, 'to');
    } catch (err) {
      const msg = err instanceof JidError ? err.message : String(err);
      this.d.log.debug(`refused a stanza with a malformed address: ${msg}`);
      this.refuse(stanza, session, stampFrom, 'jid-malformed', msg);
      return null;
    }
    // RFC 6120 §8.2.3: an iq get/set carries exactly one payload (with two, two plugins each answered it).
    const type = stanza.attrs.type;
    if (stanza.name === 'iq' && (type === 'get' || type === 'set') && stanza.getChildElements().length !== 1) {
      this.refuse(stanza, session, stampFrom, 'bad-request', `an iq of type ${type} needs exactly one payload element (RFC 6120 §8.2.3)`);
      return null;
    }
    // RFC 6121 §8.1.1.1 (docs/interop.md §3.1): a message without `to` is for the sender's bare JID.
    if (!to && stanza.name === 'message' && from && from.local) {
      to = toBare(from);
      stanza.attrs.to = to.bare; // explicit, so copies made for the receiver's pass keep it
    }
    const p = makePacket({ element: stanza, direction, source, session, from, to });
    void this.d.pipeline.run(p);
    return p.id;
  }

  /** Answers a stanza refused before it became a packet; RFC 6120 §8.3.1: never an error to an error, nor to an iq result. */
  private refuse(stanza: Element, session: StreamSession | null, stampFrom: Jid | null, condition: 'jid-malformed' | 'bad-request', text: string): void {
    if (!session || !mayBounce(stanza)) return;
    const reply = errorReply(stanza, condition, this.domain, text);
    reply.attrs.from = this.domain;
    if (stampFrom) reply.attrs.to = stampFrom.full;
    else if (condition === 'jid-malformed') delete reply.attrs.to;
    if (session.send(reply)) this.d.pipeline.stanzasOut++;
  }

  componentUp(session: StreamSession): boolean {
    const domain = session.jid?.domain;
    if (!domain || !this.d.router.addComponent(session, domain)) return false;
    this.d.changed('components');
    return true;
  }

  ended(session: StreamSession, unacked: Element[]): void {
    if (session.kind === 'component') {
      if (this.d.router.removeComponent(session)) this.d.changed('components');
      return;
    }
    this.endResource(session, unacked);
  }

  private endResource(session: StreamSession, unacked: Element[]): void {
    const st = this.d.router.remove(session);
    if (st) {
      // RFC 6121 §4.5.2 / §4.6.3: the server sends unavailable presence on the user's behalf.
      if (st.available || st.directed.size > 0) {
        this.enter(xml('presence', { type: 'unavailable' }), 'out', session, { kind: 'server', sessionId: session.id, jid: st.jid.full }, st.jid);
      }
      this.d.changed('sessions');
    }
    // Also after a <conflict/> kick: the stream layer hands the unacked stanzas over later.
    const jid = st?.jid ?? this.d.router.stateOf(session)?.jid;
    if (jid && unacked.length > 0) this.reroute(jid, unacked);
  }

  /**
   * XEP-0198 §4/§5 (docs/interop.md §3.7): unacknowledged messages are not lost. They are stored
   * offline for the bare JID, in order (a message without `to` gets the bare JID), then delivered
   * from there like the flood (core/offline-delivery.ts): to the user's best available resource
   * if one is online, paced by its flow control, each removed only once delivered; else on the
   * next presence. (Handing thousands of them to another resource at once would only push that
   * one past its send limit.) Messages the dead session was itself delivering from the store
   * never come back here: they are still stored.
   */
  private reroute(jid: Jid, unacked: Element[]): void {
    let stored = 0;
    for (const el of unacked) {
      if (el.name !== 'message' || el.attrs.type === 'error' || el.attrs.type === 'groupchat' || el.attrs.type === 'headline') continue;
      const src: PacketSource = { kind: 'server', jid: jid.full };
      const copy = cloneElement(el);
      if (!copy.attrs.to) copy.attrs.to = jid.bare;
      const p = makePacket({ element: copy, direction: 'in', source: src, session: null, from: tryParseJid(copy.attrs.from), to: tryParseJid(copy.attrs.to) ?? jid });
      const ok = storeOffline(this.d.offline, this.domain, jid.bare, p.element, p.id);
      if (ok) stored++;
      if (this.d.pipeline.deps.trace.active) {
        this.d.pipeline.traceArrival(p);
        this.d.pipeline.traceOutcome(p, ok ? 'stored-offline' : 'dropped', ok ? { to: [jid.bare] } : { reason: 'offline quota full' });
      }
      if (!ok) this.d.log.warn(`offline quota full for ${jid.bare}: an unacknowledged message to ${copy.attrs.to} was dropped`);
    }
    if (stored > 0) this.d.delivery.redeliver(jid.bare);
  }

  detached(_session: StreamSession): void {
    this.d.changed('sessions');
  }

  resumed(session: StreamSession): void {
    this.d.changed('sessions');
    // A flood that stopped while the session was detached goes on (XEP-0198 §5).
    if (session.jid) this.d.delivery.redeliver(session.jid.bare);
  }
}
