// IQ to local users (RFC 6120 §8.5.2.1.3, §8.5.3.2.3; docs/interop.md §3.4), on the receiver's pass.
// To a bare JID the server answers on behalf of the account (disco#info identity
// account/registered, XEP-0199 ping) and never delivers; anything else → service-unavailable.
// To a full JID: deliver, else service-unavailable. Results and errors are never answered.

import { xml } from '@xmpp/xml';
import type { Plugin } from '../core/plugin';
import { NS_DISCO_INFO, NS_PING } from '../vocabulary';

export const iqPlugin: Plugin = {
  id: 'iq',
  handles: [{ path: ['iq'] }],
  directions: ['in'],
  process(p, ctx) {
    const to = p.to;
    if (!ctx.isLocalUser(to)) return false;
    const isRequest = p.type === 'get' || p.type === 'set';
    if (to!.resource) {
      const r = ctx.router.resource(to!.full);
      if (r) return ctx.deliver(r.session, p.element);
      return isRequest ? ctx.error('service-unavailable') : ctx.ignore('resource not connected');
    }
    if (!isRequest) return ctx.ignore('iq result/error to a bare JID');
    const child = p.element.getChildElements()[0];
    if (p.type === 'get' && child?.is('ping', NS_PING)) return ctx.result();
    if (p.type === 'get' && child?.is('query', NS_DISCO_INFO) && !child.attrs.node) {
      return ctx.result(
        xml(
          'query',
          { xmlns: NS_DISCO_INFO },
          xml('identity', { category: 'account', type: 'registered' }),
          xml('feature', { var: NS_DISCO_INFO }),
        ),
      );
    }
    ctx.error('service-unavailable');
  },
};
