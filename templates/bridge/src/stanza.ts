// A queue item → one stanza the component may send, or the reason it may not.
// XEP-0114 §3: the server accepts from a component only stanzas whose `from` is in the
// component's domain, and every stanza needs a `to` (RFC 6120 §8.1.1 lets c2s omit it; a
// component has no account for the server to default to).

import { Parser, type Element } from '@xmpp/xml';

export type Parsed = { ok: true; stanza: Element } | { ok: false; reason: string };

const KINDS = new Set(['message', 'presence', 'iq']); // RFC 6120 §8
const CLIENT_NS = new Set(['jabber:client', 'jabber:component:accept']);

/** Exactly one element, well-formed, nothing around it. */
function parseOne(text: string): Element | string {
  const p = new Parser();
  const found: Element[] = [];
  let ended = false;
  let problem: string | null = null;
  p.on('element', (el: Element) => (ended ? (problem ??= 'content after the end') : found.push(el)));
  p.on('end', () => (ended ? (problem ??= 'content after the end') : (ended = true)));
  p.on('error', (err: Error) => (problem ??= err.message));
  try {
    p.write(`<item>${text}</item>`);
    p.end();
  } catch (err) {
    problem ??= (err as Error).message;
  }
  if (problem) return `not well-formed XML: ${problem}`;
  if (!ended) return 'not well-formed XML: an element is not closed';
  if (found.length !== 1) return found.length === 0 ? 'no element' : `${found.length} elements; one stanza per item`;
  return found[0]!;
}

export function parseItem(item: string, domain: string): Parsed {
  const el = parseOne(item);
  if (typeof el === 'string') return { ok: false, reason: el };
  if (!KINDS.has(el.name)) return { ok: false, reason: `<${el.name}/> is not a stanza (message, presence or iq)` };
  if (!el.attrs.to) return { ok: false, reason: "the stanza has no 'to' (XEP-0114: a component must address every stanza)" };
  if (el.name === 'iq' && (!el.attrs.id || !['get', 'set', 'result', 'error'].includes(el.attrs.type ?? ''))) {
    return { ok: false, reason: "an iq needs an id and a type of get, set, result or error (RFC 6120 §8.2.3)" };
  }
  if (el.attrs.xmlns !== undefined && CLIENT_NS.has(el.attrs.xmlns)) delete el.attrs.xmlns; // the stream's own
  el.parent = null;
  el.attrs.from = forcedFrom(el.attrs.from, domain);
  return { ok: true, stanza: el };
}

/** `from` in the component's domain: user@domain[/resource] and domain[/resource] are kept, anything else becomes the domain. */
export function forcedFrom(from: string | undefined, domain: string): string {
  if (!from) return domain;
  const bare = from.split('/')[0]!;
  const host = bare.includes('@') ? bare.slice(bare.indexOf('@') + 1) : bare;
  return host.toLowerCase() === domain.toLowerCase() && !bare.startsWith('@') ? from : domain;
}
