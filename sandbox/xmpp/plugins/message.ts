// Message delivery to local users: RFC 6121 §8.5 (table in docs/interop.md §3.2).
// Runs on the receiver's pass ('in'). Bare JID: the highest non-negative priority wins,
// ties → all or round-robin (config.xmpp.tieBreak); negative priority never gets bare-JID
// messages (§8.5.2.1.1); headline → every non-negative resource; groupchat → error.
// Full JID: deliver; chat to a gone resource is treated as bare (Tigase
// MessageDeliveryLogic.processOfflineUser). No target for chat/normal → left to the offline
// plugin's postprocess (XEP-0160). `to` is never rewritten (§8.5.2.1.1).

import type { Plugin, PluginContext } from '../core/plugin';
import type { ResourceView, Router } from '../core/router';

/**
 * The round-robin cursor (privileged: kept off ctx.router, since advancing it from a user
 * plugin would change which resource gets the next bare-JID message).
 */
export type RoundRobin = Pick<Router, 'nextRoundRobin'>;

/** Resources that may get a bare-JID message, per RFC 6121 §8.5.2.1.1 and the tie-break setting. */
export function bareTargets(ctx: PluginContext, rr: RoundRobin, bare: string, type: string): ResourceView[] {
  let avail = ctx.router.resources(bare).filter((r) => r.available && r.priority >= 0);
  // XEP-0198 §5: a detached session still receives (its stanzas queue for resumption), but
  // while a live resource can take the work, a bus should not park jobs on a dead connection.
  if (avail.some((r) => r.session.sm === 'detached')) {
    const live = avail.filter((r) => r.session.sm !== 'detached');
    if (live.length > 0) avail = live;
  }
  if (avail.length <= 1 || type === 'headline') return avail;
  let max = -1;
  for (const r of avail) if (r.priority > max) max = r.priority;
  const top = avail.filter((r) => r.priority === max);
  if (top.length === 1 || ctx.config.xmpp.tieBreak === 'all') return top;
  return [top[rr.nextRoundRobin(bare, top.length)]!];
}

export const createMessagePlugin = (rr: RoundRobin): Plugin => ({
  id: 'message',
  handles: [{ path: ['message'] }],
  directions: ['in'],
  process(p, ctx) {
    const to = p.to;
    if (!ctx.isLocalUser(to)) return false;
    const type = p.type;
    if (to!.resource) {
      const r = ctx.router.resource(to!.full);
      if (r) {
        ctx.deliver(r.session, p.element);
        return;
      }
      if (type === 'error' || type === 'headline' || type === 'groupchat') return ctx.ignore('resource not connected');
      if (type !== 'chat') return ctx.error('recipient-unavailable');
      // chat: fall through to bare-JID handling
    }
    if (type === 'error') return ctx.ignore('error to a bare JID');
    if (type === 'groupchat') return ctx.error('service-unavailable');
    const targets = bareTargets(ctx, rr, to!.bare, type);
    if (targets.length === 0) {
      if (type === 'headline') ctx.ignore('no available resource for a headline');
      return; // chat/normal: offline storage (postprocess) decides
    }
    for (const r of targets) ctx.deliver(r.session, p.element);
  },
});
