// Filter: headline messages (notifications, RFC 6121 §5.2.2) are not delivered to a resource
// whose presence is "dnd" (do not disturb, RFC 6121 §4.7.2.1). Filters see the results of
// every packet just before they go out; splicing an item out of `results` drops it, and the
// returned text is the reason the trace shows.

import type { Plugin } from 'xmpp-sandbox/plugin-api';

export default {
  id: 'quiet-when-dnd',
  filter(p, ctx, results) {
    if (p.kind !== 'message' || p.type !== 'headline') return;
    let dropped = 0;
    for (let i = results.length - 1; i >= 0; i--) {
      const session = results[i]!.session;
      if (session && ctx.router.stateOf(session)?.show === 'dnd') {
        results.splice(i, 1);
        dropped++;
      }
    }
    return dropped ? `headline held back from ${dropped} dnd resource(s)` : undefined;
  },
} satisfies Plugin;
