// Stanza errors (RFC 6120 §8.3): swap to/from, keep id, add <error type><cond/></error>.
// Never answer an error with an error (RFC 6120 §8.3.1).

import { xml, type Element } from '@xmpp/xml';
import { NS_STANZAS, STANZA_ERROR_TYPES } from '../vocabulary';


export function errorType(condition: string): string {
  return (STANZA_ERROR_TYPES as Record<string, string>)[condition] ?? 'cancel';
}

/** True when the stanza may be answered with an error (not type=error, not iq result). */
export function mayBounce(el: Element): boolean {
  const t = el.attrs.type;
  return t !== 'error' && !(el.name === 'iq' && t === 'result');
}

/**
 * The error reply to `el`. `from` defaults to the original `to` (or `domain` when absent),
 * `to` to the original `from`.
 */
export function errorReply(el: Element, condition: string, domain: string, text?: string): Element {
  const err = xml('error', { type: errorType(condition) }, xml(condition, { xmlns: NS_STANZAS }));
  if (text) err.append(xml('text', { xmlns: NS_STANZAS }, text));
  return xml(el.name, { type: 'error', id: el.attrs.id, from: el.attrs.to || domain, to: el.attrs.from }, err);
}

/** An iq result to `el` (RFC 6120 §8.2.3), with optional payload. */
export function iqResult(el: Element, domain: string, payload?: Element): Element {
  return xml('iq', { type: 'result', id: el.attrs.id, from: el.attrs.to || domain, to: el.attrs.from }, payload);
}
