// Processor for an IQ of our own: <iq type='get' to='SERVER'><query xmlns='{{ns}}'/></iq>
// is answered with the sender's available resources, read through ctx.router (a read-only
// view). `handles` names the element path and the namespace of its last element; the
// process stage runs it in its own queue, in order per bare JID.

import type { Plugin } from 'xmpp-sandbox/plugin-api';

export const NS = '{{ns}}';

export default {
  id: 'who-is-on',
  handles: [{ path: ['iq', 'query'], xmlns: NS }],
  types: ['get'],
  directions: ['out'],
  process(p, ctx) {
    if (!ctx.isServer(p.to) || !p.from) return false; // not for us: the default action applies
    const online = ctx.router.resources(p.from.bare).filter((r) => r.available);
    ctx.result(
      ctx.xml('query', { xmlns: NS }, ...online.map((r) => ctx.xml('resource', { jid: r.jid.full, priority: String(r.priority), show: r.show ?? 'online' }))),
    );
  },
} satisfies Plugin;
