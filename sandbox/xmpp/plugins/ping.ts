// XEP-0199 XMPP Ping, answered by the server (§4.2 client-to-server ping).
import type { Plugin } from '../core/plugin';
import { NS_PING } from '../vocabulary';

export const pingPlugin: Plugin = {
  id: 'ping',
  handles: [{ path: ['iq', 'ping'], xmlns: NS_PING }],
  types: ['get'],
  process(p, ctx) {
    if (!ctx.isServer(p.to)) return false;
    ctx.result();
  },
  discoFeatures: () => [NS_PING],
};
