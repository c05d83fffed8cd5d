// RFC 6121 §2.1.3 roster get, answered with an empty roster: the sandbox keeps no rosters
// (presence routing is configured by xmpp.presenceBroadcast instead), but an IM server must
// answer the get. slixmpp apps `await get_roster()` in session_start, and an error there
// aborts the rest of their start-up. The request has no `to` or the user's own bare JID (§2.1.3).
// Roster sets (§2.1.5) are not handled: they still get service-unavailable.
import { xml } from '@xmpp/xml';
import type { Plugin } from '../core/plugin';
import { NS_ROSTER } from '../vocabulary';


export const rosterPlugin: Plugin = {
  id: 'roster',
  handles: [{ path: ['iq', 'query'], xmlns: NS_ROSTER }],
  types: ['get'],
  directions: ['out'],
  process(p, ctx) {
    const to = p.to;
    const own = to !== null && p.from !== null && !to.resource && to.bare === p.from.bare;
    if (to !== null && !own) return false;
    ctx.result(xml('query', { xmlns: NS_ROSTER }));
  },
};
