// XEP-0160 Best Practices for Handling Offline Messages (docs/interop.md §3.6; Tigase OfflineMessages).
// postProcess: a chat/normal message with a <body> that the message plugin could not
// deliver is stored with <delay xmlns='urn:xmpp:delay'> (XEP-0203 §3, XEP-0160 §4);
// XEP-0334 <no-store/> wins, <store/> stores even without a body; quota → service-unavailable.
// process (presence): flush once per session on the first broadcast available presence with
// priority ≥ 0, in order — unless the session used XEP-0013 (§2.2: no flood). The flush runs
// after the presence, paced by the session's flow control, and removes each message only once
// it is delivered (core/offline-delivery.ts, docs/interop.md §3.6).
// It reads through ctx.offline / ctx.router like any plugin; writing the store, marking the
// flush and the paced delivery are handed to it at creation (plugins/index.ts).

import { cloneElement } from '../xml/clone';
import { xml, type Element } from '@xmpp/xml';
import type { OfflineDelivery } from '../core/offline-delivery';
import type { Plugin } from '../core/plugin';
import type { OfflineStore } from '../core/offline-store';
import type { Router } from '../core/router';
import { parsePriority } from './presence';
import { NS_DELAY, NS_HINTS } from '../vocabulary';

/** XEP-0160 §3 + XEP-0334 §4: should this message be kept for an offline user? */
export function storable(el: Element, type: string): { ok: boolean; reason?: string } {
  if (type !== 'chat' && type !== 'normal') return { ok: false, reason: `type ${type} is not stored` };
  if (el.getChild('no-store', NS_HINTS)) return { ok: false, reason: 'XEP-0334 no-store' };
  if (el.getChild('store', NS_HINTS) || el.getChild('body')) return { ok: true };
  return { ok: false, reason: 'no body' };
}

/** The stanza as stored: a copy with a <delay/> stamp (kept if it already has one). */
export function withDelay(el: Element, domain: string, stamp: string): Element {
  const copy = cloneElement(el);
  if (!copy.getChild('delay', NS_DELAY)) copy.append(xml('delay', { xmlns: NS_DELAY, from: domain, stamp }, 'Offline Storage'));
  return copy;
}

/** Store `el` (the trace's packet `packetId`) for `bare`; false when the quota is full. */
export function storeOffline(store: Pick<OfflineStore, 'add'>, domain: string, bare: string, el: Element, packetId: string): boolean {
  const stamp = new Date().toISOString();
  return store.add(bare, { from: el.attrs.from ?? '', stamp, xml: withDelay(el, domain, stamp).toString(), packetId }) !== null;
}

/**
 * The offline plugin's privileged capabilities: the writable store (ctx.offline is read-only,
 * so no user plugin can drop or forge stored messages), the once-per-session flush mark, and
 * the paced delivery that removes what it delivered.
 */
export const createOfflinePlugin = (router: Pick<Router, 'markOfflineFlushed'>, store: Pick<OfflineStore, 'add'>, delivery: Pick<OfflineDelivery, 'flood'>): Plugin => ({
  id: 'offline',
  handles: [{ path: ['presence'] }],
  directions: ['out'],
  types: ['available'],
  process(p, ctx) {
    if (p.to || !ctx.session) return false;
    const st = ctx.router.stateOf(ctx.session);
    if (!st || st.ended || st.offlineFlushed || st.flexibleOffline || parsePriority(p.element) < 0) return false;
    router.markOfflineFlushed(st.session);
    // Started, not awaited: the presence goes on; the messages follow at the reader's pace.
    return delivery.flood(ctx.session, st.jid.bare, p, 'offline') ? undefined : false;
  },
  postProcess(p, ctx) {
    if (p.kind !== 'message' || p.direction !== 'in' || ctx.decided || !ctx.isLocalUser(p.to)) return;
    const s = storable(p.element, p.type);
    if (!s.ok) {
      ctx.ignore(`not stored offline: ${s.reason}`);
      return;
    }
    const bare = p.to!.bare;
    if (!storeOffline(store, ctx.domain, bare, p.element, p.id)) {
      ctx.error('service-unavailable', 'offline storage quota reached');
      return;
    }
    ctx.stored(bare);
    return true;
  },
  discoFeatures: () => ['msgoffline'],
});
