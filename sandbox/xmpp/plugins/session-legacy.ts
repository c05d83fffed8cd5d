// RFC 3921 §3 session establishment, kept as a no-op for clients that still send it
// (RFC 6121 Appendix E: servers may offer it as optional).
import type { Plugin } from '../core/plugin';
import { NS_SESSION } from '../vocabulary';

export const sessionLegacyPlugin: Plugin = {
  id: 'session-legacy',
  handles: [{ path: ['iq', 'session'], xmlns: NS_SESSION }],
  types: ['set'],
  directions: ['out'],
  process(p, ctx) {
    if (!ctx.isServer(p.to)) return false;
    ctx.result();
  },
};
