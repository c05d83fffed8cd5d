// XEP-0199 XMPP Ping, answered by the server (§4.2 client-to-server ping).
import type { Plugin } from '../core/plugin';

export const pingPlugin: Plugin = {
  id: 'ping',
  handles: [{ path: ['iq', 'ping'], xmlns: 'urn:xmpp:ping' }],
  types: ['get'],
  process(p, ctx) {
    if (!ctx.isServer(p.to)) return false;
    ctx.result();
  },
  discoFeatures: () => ['urn:xmpp:ping'],
};
