// The default action (Tigase SessionManager's built-in handler, docs/interop.md §4 step 5):
// what happens to a packet no processor took. It runs at the end of the postprocess stage
// and is traced as plugin 'sm:default'.
// - to the server itself: an iq request nobody handles → service-unavailable (RFC 6120 §8.4);
//   anything else is ignored.
// - to a local user, on the sender's pass ('out'): forward a copy for the receiver's pass
//   (a message is processed twice, for the sender and for the receiver: docs/interop.md §4).
// - to a connected component's domain (any JID in it): written to its stream (XEP-0114);
//   a configured component that is not connected → service-unavailable (docs/interop.md §2).
// - any other domain: remote-server-not-found (RFC 6120 §8.3.3.14; the sandbox has no S2S).

import type { Packet } from '../core/packet';
import type { PluginContext } from '../core/plugin';

export function defaultRoute(p: Packet, ctx: PluginContext): void {
  const to = p.to;
  if (ctx.isServer(to)) {
    if (p.kind === 'iq' && (p.type === 'get' || p.type === 'set')) ctx.error('service-unavailable');
    else ctx.ignore('addressed to the server; nothing handles it');
    return;
  }
  if (to!.domain === ctx.domain) {
    if (p.direction === 'out') ctx.out(p.element);
    else ctx.ignore('no plugin delivered it');
    return;
  }
  const comp = ctx.router.component(to!.domain);
  if (comp) return ctx.deliver(comp, p.element);
  if (p.kind === 'presence') return ctx.ignore(`no route to ${to!.domain}`);
  ctx.error(ctx.router.isComponentDomain(to!.domain) ? 'service-unavailable' : 'remote-server-not-found');
}
