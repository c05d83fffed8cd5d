// The Plugin shape: what every built-in feature and every user plugin implements
// (Tigase XMPPPreprocessorIfc / XMPPProcessorIfc / XMPPPostprocessorIfc / XMPPPacketFilterIfc,
// docs/interop.md §4). A user plugin is a module exporting one Plugin (default
// export or `plugin`) or an array of them; see sandbox/xmpp/core/loader.ts. User plugins
// import these types from sandbox/plugin-api.ts, the one documented entry.
//
//   export default {
//     id: 'no-spam',
//     preProcess(p) { return p.kind === 'message' && /spam/.test(p.element.getChildText('body') ?? '')
//       ? { block: true, reason: 'spam' } : false; },
//   } satisfies Plugin;
//
// Rules: packets are frozen (never mutate p.element; copy it with cloneElement from sandbox/xmpp/xml/clone.ts or build a new element with
// `xml()`), and plugins emit results through ctx.out (routed by `to`: a local user gets the
// receiver's pass) or ctx.deliver (written to one session). Throwing is caught and traced.
// What a plugin can read (ctx.router, ctx.offline, ctx.session, ctx.config) is read-only, in
// its types and at run time; state changes are the router's named methods, which only the
// built-ins that need them are given (sandbox/xmpp/plugins/index.ts).

import type { Element, xml } from '@xmpp/xml';
import type { SandboxConfig } from '../../config';
import type { Logger } from '../../log';
import type { Jid } from '../jid';
import type { Packet } from './packet';
import type { OfflineView } from './offline-store';
import type { RouterView, SessionView } from './router';

export type { Packet } from './packet';

/** Interest in an element path; `xmlns` applies to the LAST element of the path (Tigase @Handle). '*' matches any name. */
export interface PluginHandle {
  path: string[];
  xmlns?: string;
}

/** What preProcess returns: true or { block: true, reason } stops the packet; false/nothing lets it pass. */
export type PreProcessVerdict = boolean | { block: true; reason?: string } | void;

/** Read-only all the way down. */
export type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** The sandbox settings as plugins see them (ctx.config): a frozen copy. */
export type PluginConfig = DeepReadonly<SandboxConfig>;

/** What one plugin call may do with the packet it is given. */
export interface PluginContext {
  /** The session the packet came from (c2s sender or component), or null (server, injection, re-routing). */
  readonly session: SessionView | null;
  /** The server domain, e.g. 'localhost'. */
  readonly domain: string;
  /** The sandbox settings (a frozen copy). */
  readonly config: PluginConfig;
  readonly log: Logger;
  /** Sessions, presence state, components: read-only views. */
  readonly router: RouterView;
  /** XEP-0160 offline storage: read-only. */
  readonly offline: OfflineView;
  /** The @xmpp/xml element builder, so plugin files need no imports: ctx.xml('query', { xmlns }, ...). */
  readonly xml: typeof xml;
  /** Emit a new stanza, routed by its `to` (a local user gets the receiver's pass: Tigase P1 → P2). */
  out(stanza: Element): void;
  /** Write a stanza to one session, given by its view (final delivery; the trace shows 'delivered'). */
  deliver(session: SessionView, stanza: Element): void;
  /** Answer the packet with a stanza error (RFC 6120 §8.3); a no-op for type=error and iq results. */
  error(condition: string, text?: string): void;
  /** Answer an iq get/set with a result carrying `payload` (RFC 6120 §8.2.3). */
  result(payload?: Element): void;
  /** Record that the packet went to offline storage for `bareJid` (outcome 'stored-offline'). */
  stored(bareJid: string): void;
  /** Discard the packet as the RFC says (outcome 'ignored'). */
  ignore(reason?: string): void;
  /** True once some plugin delivered, produced, stored, bounced or ignored this packet. */
  readonly decided: boolean;
  /** True when `j` is the server itself (null counts: no `to` means the server, RFC 6120 §10.3). */
  isServer(j: Jid | null): boolean;
  /** True when `j` is a user of this server (user@domain[/res]). */
  isLocalUser(j: Jid | null): boolean;
}

/** A feature of the session manager: hooks for any of the four stages (docs/interop.md §4). */
export interface Plugin {
  /** Unique id, shown in the trace and the explorer. */
  id: string;
  /** Process-stage interest; omitted = process() is never called. */
  handles?: PluginHandle[];
  /** Only these stanza types (e.g. ['get','set'], ['chat','normal']); omitted = all. */
  types?: string[];
  /** Only this direction ('out' = from a local sender, 'in' = towards the receiver); omitted = both. */
  directions?: ('in' | 'out')[];
  /** Synchronous, inline and cheap (Tigase: runs in the SM thread); return true or {block, reason} to stop the packet. */
  preProcess?(p: Packet, ctx: PluginContext): PreProcessVerdict;
  /**
   * Run for packets matching `handles`/`types`/`directions`, in its own bounded queue, in order
   * per bare JID. Return false to say "not mine" (the default action then still applies).
   */
  process?(p: Packet, ctx: PluginContext): void | boolean | Promise<void | boolean>;
  /** Synchronous; runs on every packet that was not blocked, after the process stage (return true = handled it). */
  postProcess?(p: Packet, ctx: PluginContext): void | boolean;
  /** Synchronous; inspect the results of a packet; splice items out of `results` to drop them (return the reason). */
  filter?(p: Packet, ctx: PluginContext, results: ResultItem[]): string | void;
  /** Elements added to <stream:features/> after authentication (RFC 6120 §4.3.2). */
  streamFeatures?(session: SessionView): Element[];
  /** Features the server advertises in disco#info (XEP-0030 §3.1). */
  discoFeatures?(): string[];
  /** disco nodes this plugin answers itself (the disco plugin leaves them alone). */
  discoNodes?(): string[];
  /** Called when the plugin is removed (reload, unregister). */
  unload?(): void;
}

/** One result of processing a packet: routed by `to`, or written to `session`. */
export interface ResultItem {
  readonly element: Element;
  /** Set for direct deliveries. */
  readonly session?: SessionView;
  /** Plugin id that produced it. */
  readonly producedBy: string;
  /** Packet id given to routed results (set when emitted). */
  readonly packetId?: string;
  /** The packet made for a routed result (processed after the filters keep it). */
  readonly packet?: Packet;
}
