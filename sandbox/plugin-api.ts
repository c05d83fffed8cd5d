// The public plugin API: the one module a user plugin imports from (README, "Your own plugins").
// A plugin is a module in the plugin folder that exports one Plugin (default export, or
// `plugin`) or an array of them; sandbox/xmpp/core/loader.ts loads .js/.cjs/.mjs/.ts files.
//
//   import type { Plugin } from '<checkout>/sandbox/plugin-api';
//   export default {
//     id: 'do-not-disturb',
//     preProcess(p, ctx) {
//       const rs = p.kind === 'message' && p.to ? ctx.router.resources(p.to.bare) : [];
//       return rs.length > 0 && rs.every((r) => r.show === 'dnd') ? { block: true, reason: 'dnd' } : false;
//     },
//   } satisfies Plugin;
//
// (README, "Your own plugins", has a longer one that reads presence through ctx.router.)
//
// What a plugin reads (ctx.router, ctx.offline, ctx.session, ctx.config, packets) is
// read-only in its types and at run time: the views are frozen objects with getters, a write
// throws a TypeError (or is ignored in sloppy-mode code) and never changes routing. A plugin
// acts only through ctx (out, deliver, result, error, ignore, stored) and its verdicts.
// Nothing exported here reaches the server's internals (the live sessions, the router's state
// changes, the writable offline store): those stay with the built-in plugins.

/** A plugin: an id and hooks for any of the four stages (preprocess, process, postprocess, filter). */
export type { Plugin } from './xmpp/core/plugin';

/** What a hook gets besides the packet: read-only views, the settings, and the ways to answer. */
export type { PluginContext } from './xmpp/core/plugin';

/** Process-stage interest: an element path, with the namespace of its last element (`['iq', 'ping']` + xmlns). */
export type { PluginHandle } from './xmpp/core/plugin';

/** What preProcess returns: true or { block: true, reason } stops the packet; false or nothing lets it pass. */
export type { PreProcessVerdict } from './xmpp/core/plugin';

/** One result of a packet, as a filter sees it (splice it out of `results` to drop it). */
export type { ResultItem } from './xmpp/core/plugin';

/** The sandbox settings as ctx.config (a frozen copy). */
export type { PluginConfig } from './xmpp/core/plugin';

/** The frozen packet every hook gets: element, kind, type, from/to, direction, source session. */
export type { Packet } from './xmpp/core/packet';

/** The stanza kinds (RFC 6120 §8): 'message' | 'presence' | 'iq'. */
export type { StanzaKind } from './trace/events';

/** A packet's direction: 'out' on behalf of a local sender, 'in' on behalf of the receiver. */
export type { Direction } from './trace/events';

/** ctx.router: bound resources, components, lookups only. */
export type { RouterView } from './xmpp/core/router';

/** A bound resource: its session view and presence state (available, priority, show, status, RFC 6121 §4). */
export type { ResourceView } from './xmpp/core/router';

/** A c2s or component session: id, kind, transport, JID, XEP-0198 state. Pass it to ctx.deliver. */
export type { SessionView } from './xmpp/core/router';

/** ctx.offline: the XEP-0160 offline store, reads only (list, count, users). */
export type { OfflineView } from './xmpp/core/offline-store';

/** One stored offline message (frozen): node, from, stamp, the stanza as XML text. */
export type { OfflineItem } from './xmpp/core/offline-store';

/** A parsed JID (RFC 7622), frozen: local, domain, resource, bare, full. */
export type { Jid } from './xmpp/jid';

/** The @xmpp/xml element type of packets and of what plugins build. */
export type { Element } from '@xmpp/xml';

/** The element builder (also ctx.xml): xml('query', { xmlns }, ...children). */
export { xml } from '@xmpp/xml';

/** A deep, writable copy of an element (packets are frozen: copy one before changing it). */
export { cloneElement } from './xmpp/xml/clone';

/** Parse and validate a JID (RFC 7622); throws JidError (condition jid-malformed). */
export { parseJid } from './xmpp/jid';

/** Parse a JID, or null when it is absent or malformed. */
export { tryParseJid } from './xmpp/jid';

/** What parseJid throws for a malformed JID. */
export { JidError } from './xmpp/jid';
