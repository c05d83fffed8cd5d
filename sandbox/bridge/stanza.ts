// Turning a queue item into one stanza the bridge may send (XEP-0114 §3: the server checks
// that `from` is in the component's domain), and back.
//
// An item must pass the sandbox's stanza validator (sandbox/xmpp/stanza-validator.ts: one
// message/presence/iq in restricted XML, RFC 6120 §11.1 and §8) and have a `to`; its reason
// for refusing an item is the dead letter's reason.
import type { Element } from '@xmpp/xml';
import { validateStanza } from '../xmpp/stanza-validator';
import { STANZA_NAMESPACES } from '../xmpp/vocabulary';

export type ParsedItem = { ok: true; stanza: Element } | { ok: false; reason: string };

export function parseItem(item: string, bridgeDomain: string): ParsedItem {
  const checked = validateStanza(item);
  if (!checked.ok) return { ok: false, reason: checked.message };
  const el = checked.element;
  if (!el.attrs.to) return { ok: false, reason: 'the stanza has no "to" address (XEP-0114 requires one)' };
  // The stanza namespace is the component stream's own (XEP-0114 §3), not copied onto it.
  if (el.attrs.xmlns !== undefined && STANZA_NAMESPACES.includes(el.attrs.xmlns)) delete el.attrs.xmlns;
  el.attrs.from = bridgeFrom(el.attrs.from, bridgeDomain);
  return { ok: true, stanza: el };
}

/**
 * `from` forced into the bridge's domain (XEP-0114: the server rejects anything else):
 * user@bridge-domain[/res] is kept, everything else becomes the bridge domain.
 */
export function bridgeFrom(from: string | undefined, domain: string): string {
  if (!from) return domain;
  const slash = from.indexOf('/');
  const bare = slash >= 0 ? from.slice(0, slash) : from;
  const at = bare.indexOf('@');
  const host = at >= 0 ? bare.slice(at + 1) : bare;
  return host.toLowerCase() === domain.toLowerCase() && at !== 0 ? from : domain;
}

/** What goes to the dead-letter list: JSON {reason, item, at}. */
export function deadLetter(reason: string, item: string): string {
  return JSON.stringify({ reason, item, at: new Date().toISOString() });
}
