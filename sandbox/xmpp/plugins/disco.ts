// XEP-0030 Service Discovery for the server: disco#info (§3.1; identity server/im and the
// features every plugin declares) and disco#items (§4.1; the components). A node nobody
// claims → item-not-found (§3.1, §4.1 error cases).
import { xml } from '@xmpp/xml';
import type { Plugin } from '../core/plugin';
import { SERVER_NAME } from './version';
import { NS_DISCO_INFO, NS_DISCO_ITEMS } from '../vocabulary';


export function createDiscoPlugin(plugins: () => readonly Plugin[]): Plugin {
  return {
    id: 'disco',
    handles: [
      { path: ['iq', 'query'], xmlns: NS_DISCO_INFO },
      { path: ['iq', 'query'], xmlns: NS_DISCO_ITEMS },
    ],
    types: ['get'],
    process(p, ctx) {
      if (!ctx.isServer(p.to)) return false;
      const q = p.element.getChildElements()[0]!;
      const node = q.attrs.node;
      if (node) {
        if (plugins().some((pl) => pl.discoNodes?.().includes(node))) return false;
        return ctx.error('item-not-found');
      }
      if (q.attrs.xmlns === NS_DISCO_INFO) {
        const vars = new Set<string>([NS_DISCO_INFO, NS_DISCO_ITEMS]);
        for (const pl of plugins()) {
          try {
            for (const f of pl.discoFeatures?.() ?? []) vars.add(f);
          } catch (err) {
            ctx.log.warn(`plugin ${pl.id}: discoFeatures threw`, err);
          }
        }
        const res = xml('query', { xmlns: NS_DISCO_INFO }, xml('identity', { category: 'server', type: 'im', name: SERVER_NAME }));
        for (const v of vars) res.append(xml('feature', { var: v }));
        return ctx.result(res);
      }
      const domains = new Set<string>(Object.keys(ctx.config.xmpp.components));
      for (const s of ctx.router.components()) if (s.jid) domains.add(s.jid.domain);
      const res = xml('query', { xmlns: NS_DISCO_ITEMS });
      for (const d of [...domains].sort()) res.append(xml('item', { jid: d }));
      ctx.result(res);
    },
  };
}
