// Presence (RFC 6121 §4) without rosters: availability and priority (−128..127, §4.7.2.3),
// broadcast per config.xmpp.presenceBroadcast (none | own resources, including the sender
// (§4.2.2) | all local users as a shared roster), directed presence tracked (§4.6) so
// the session's end sends 'unavailable' to those JIDs, presence to an unknown full JID ignored (§4.3.2/§8.5.3.2.1).
// It reads the router through ctx.router like any plugin; the presence state it keeps is
// written through the router's named methods, handed to it at creation (plugins/index.ts).

import { xml, type Element } from '@xmpp/xml';
import type { Plugin, PluginContext } from '../core/plugin';
import type { ResourceView, Router } from '../core/router';
import { copyWithAttrs } from '../core/packet';

export function parsePriority(el: Element): number {
  const t = el.getChildText('priority');
  if (t == null) return 0;
  const n = Number.parseInt(t.trim(), 10);
  if (!Number.isFinite(n)) return 0;
  return Math.max(-128, Math.min(127, n));
}

/** Who gets `from`'s broadcast presence. */
function audience(ctx: PluginContext, bare: string): ResourceView[] {
  const mode = ctx.config.xmpp.presenceBroadcast;
  if (mode === 'none') return [];
  if (mode === 'own') return ctx.router.resources(bare).filter((r) => r.available);
  const out: ResourceView[] = [];
  for (const b of ctx.router.bareJids()) for (const r of ctx.router.resources(b)) if (r.available) out.push(r);
  return out;
}

/**
 * The presence state writes (privileged: kept off ctx.router, since a user plugin that set
 * another resource's availability or priority would change where messages go).
 */
export type PresenceState = Pick<Router, 'setPresence' | 'addDirected' | 'removeDirected' | 'takeDirected'>;

export const createPresencePlugin = (state: PresenceState): Plugin => ({
  id: 'presence',
  handles: [{ path: ['presence'] }],
  process(p, ctx) {
    if (p.direction === 'in') {
      if (!ctx.isLocalUser(p.to)) return false;
      const to = p.to!;
      if (to.resource) {
        const r = ctx.router.resource(to.full);
        if (!r) return ctx.ignore('presence to an unknown full JID');
        return ctx.deliver(r.session, p.element);
      }
      if (p.type === 'probe') return ctx.ignore('no rosters: probes are not answered');
      const avail = ctx.router.resources(to.bare).filter((r) => r.available);
      if (avail.length === 0) return ctx.ignore('no available resource');
      for (const r of avail) ctx.deliver(r.session, p.element);
      return;
    }
    const st = ctx.session ? ctx.router.stateOf(ctx.session) : undefined;
    if (!st || !p.from) return false;
    if (p.to) {
      // Directed presence (§4.6): remember who saw us, then let the default action route it.
      if (p.type === 'available') state.addDirected(st.session, p.to.full);
      else if (p.type === 'unavailable') state.removeDirected(st.session, p.to.full);
      return false;
    }
    if (p.type !== 'available' && p.type !== 'unavailable') return ctx.ignore(`broadcast presence of type ${p.type}`);
    const wasAvailable = st.available;
    if (p.type === 'available') {
      state.setPresence(st.session, { available: true, priority: parsePriority(p.element), stanza: p.element });
    } else {
      state.setPresence(st.session, { available: false, stanza: null });
      for (const j of state.takeDirected(st.session)) ctx.out(xml('presence', { type: 'unavailable', from: p.from.full, to: j }));
    }
    const targets = audience(ctx, p.from.bare);
    for (const r of targets) ctx.deliver(r.session, copyWithAttrs(p.element, { to: r.jid.full }));
    // A newcomer learns the presence of the others it would have received (§4.2.2 ¶4 analogue).
    if (p.type === 'available' && !wasAvailable && !st.ended) {
      for (const r of targets) if (r !== st && r.presence) ctx.deliver(st.session, copyWithAttrs(r.presence, { to: p.from.full }));
    }
  },
});
