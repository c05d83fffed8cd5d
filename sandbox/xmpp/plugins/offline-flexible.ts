// XEP-0013 Flexible Offline Message Retrieval (docs/interop.md §3.6): disco#info/#items on
// node http://jabber.org/protocol/offline (§2.2, §2.3), <offline><fetch/> (§2.6),
// view/remove by node (§2.4, §2.5), <purge/> (§2.7). A session that used any of it gets
// no flood on presence (§2.2). Messages are removed only by remove or purge.
// Fetch and view are paced by the session's flow control like the flood (core/offline-delivery.ts,
// docs/interop.md §3.6): the IQ is answered once the last message is written (§2.6), and the
// user's later XEP-0013 requests wait for that (this plugin keeps a bare JID's packets in order).
// It reads through ctx.offline like any plugin; removing, the §2.2 mark and the paced delivery
// are handed to it at creation (plugins/index.ts).

import { xml } from '@xmpp/xml';
import type { OfflineDelivery } from '../core/offline-delivery';
import type { Plugin, PluginContext } from '../core/plugin';
import type { Packet } from '../core/packet';
import type { OfflineStore } from '../core/offline-store';
import type { Router } from '../core/router';
import { NS_DATA_FORMS, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_OFFLINE } from '../vocabulary';

function ownOrServer(p: Packet, ctx: PluginContext): boolean {
  return ctx.isServer(p.to) || (!!p.to && !p.to.resource && p.to.bare === p.from?.bare);
}

/** Privileged: removing stored messages (ctx.offline is read-only), the XEP-0013 §2.2 mark and the paced delivery. */
export const createOfflineFlexiblePlugin = (router: Pick<Router, 'markFlexibleOffline'>, store: Pick<OfflineStore, 'remove'>, delivery: Pick<OfflineDelivery, 'fetch'>): Plugin => ({
  id: 'offline-flexible',
  handles: [
    { path: ['iq', 'offline'], xmlns: NS_OFFLINE },
    { path: ['iq', 'query'], xmlns: NS_DISCO_INFO },
    { path: ['iq', 'query'], xmlns: NS_DISCO_ITEMS },
  ],
  directions: ['out'],
  types: ['get', 'set'],
  process(p, ctx) {
    const q = p.element.getChildElements()[0];
    if (!q || !ctx.session || !p.from) return false;
    const isDisco = q.name === 'query';
    if (isDisco && q.attrs.node !== NS_OFFLINE) return false;
    if (!ownOrServer(p, ctx)) {
      if (isDisco || !ctx.isLocalUser(p.to)) return false;
      return ctx.error('forbidden'); // §2: only the owner retrieves its messages
    }
    router.markFlexibleOffline(ctx.session);
    const bare = p.from.bare;
    const items = ctx.offline.list(bare);
    if (isDisco) {
      if (p.type !== 'get') return ctx.error('bad-request');
      if (q.attrs.xmlns === NS_DISCO_INFO) {
        return ctx.result(
          xml(
            'query',
            { xmlns: NS_DISCO_INFO, node: NS_OFFLINE },
            xml('identity', { category: 'automation', type: 'message-list' }),
            xml('feature', { var: NS_OFFLINE }),
            xml(
              'x',
              { xmlns: NS_DATA_FORMS, type: 'result' },
              xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_OFFLINE)),
              xml('field', { var: 'number_of_messages' }, xml('value', {}, String(items.length))),
            ),
          ),
        );
      }
      const res = xml('query', { xmlns: NS_DISCO_ITEMS, node: NS_OFFLINE });
      for (const it of items) res.append(xml('item', { jid: bare, node: it.node, name: it.from }));
      return ctx.result(res);
    }
    if (q.getChild('fetch')) {
      if (p.type !== 'get') return ctx.error('bad-request');
      return delivery.fetch(ctx.session, bare, items, p, 'offline-flexible').then(() => ctx.result());
    }
    if (q.getChild('purge')) {
      if (p.type !== 'set') return ctx.error('bad-request');
      store.remove(bare);
      return ctx.result();
    }
    const reqs = q.getChildren('item');
    if (reqs.length === 0) return ctx.error('bad-request');
    const action = reqs[0]!.attrs.action;
    const nodes = reqs.map((r) => r.attrs.node ?? '');
    if (reqs.some((r) => r.attrs.action !== action) || (action === 'view' && p.type !== 'get') || (action === 'remove' && p.type !== 'set') || (action !== 'view' && action !== 'remove')) {
      return ctx.error('bad-request');
    }
    const byNode = new Map(items.map((i) => [i.node, i]));
    if (nodes.some((n) => !byNode.has(n))) return ctx.error('item-not-found');
    if (action === 'view') return delivery.fetch(ctx.session, bare, nodes.map((n) => byNode.get(n)!), p, 'offline-flexible').then(() => ctx.result());
    store.remove(bare, nodes);
    ctx.result();
  },
  discoFeatures: () => [NS_OFFLINE],
  discoNodes: () => [NS_OFFLINE],
});
