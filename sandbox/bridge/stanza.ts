// Turning a queue item into one stanza the bridge may send (XEP-0114 §3: the server checks
// that `from` is in the component's domain), and back.
//
// An item must be exactly one well-formed message/presence/iq element in restricted XML
// (RFC 6120 §11.1: no DOCTYPE, comments or processing instructions; only the predefined
// entities). saxes validates strictly; the element is built with the component's own `xml`
// so @xmpp/component 0.13 serialises it itself.
import { SaxesParser } from 'saxes';
import { xml } from '@xmpp/component';
import type { Element } from '@xmpp/xml';
import { STANZA_NAMESPACES } from '../xmpp/vocabulary';

export type ParsedItem = { ok: true; stanza: Element } | { ok: false; reason: string };

const STANZAS = new Set(['message', 'presence', 'iq']);
/** Namespaces of the stanza itself that must not be copied onto a component stream. */
const STREAM_NS = new Set(STANZA_NAMESPACES);

export function parseItem(item: string, bridgeDomain: string, build: typeof xml = xml): ParsedItem {
  const parser = new SaxesParser({ xmlns: false });
  let error: string | null = null;
  let root: Element | null = null;
  let roots = 0;
  const stack: Element[] = [];
  const fail = (m: string) => {
    if (error === null) error = m;
  };
  parser.on('error', (e) => fail(`not well-formed: ${e.message}`));
  parser.on('doctype', () => fail('restricted XML: DOCTYPE is not allowed (RFC 6120 §11.1)'));
  parser.on('processinginstruction', () => fail('restricted XML: processing instructions are not allowed (RFC 6120 §11.1)'));
  parser.on('comment', () => fail('restricted XML: comments are not allowed (RFC 6120 §11.1)'));
  parser.on('opentag', (tag) => {
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(tag.attributes)) attrs[k] = String(v);
    const el = build(tag.name, attrs);
    if (stack.length === 0) {
      roots++;
      if (roots > 1) fail('more than one root element');
      root = el;
    } else stack[stack.length - 1]!.cnode(el);
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('text', (t) => {
    if (stack.length > 0) stack[stack.length - 1]!.t(t);
    else if (t.trim() !== '') fail('text outside the root element');
  });
  parser.on('cdata', (t) => {
    if (stack.length > 0) stack[stack.length - 1]!.t(t);
  });
  try {
    parser.write(item.replace(/^\s*<\?xml[^?]*\?>/, '')).close();
  } catch (e) {
    fail(`not well-formed: ${(e as Error).message}`);
  }
  if (error !== null) return { ok: false, reason: error };
  const el = root as Element | null;
  if (!el) return { ok: false, reason: 'empty item' };
  if (!STANZAS.has(el.name)) return { ok: false, reason: `<${el.name}/> is not a stanza (message, presence or iq)` };
  if (!el.attrs.to) return { ok: false, reason: 'the stanza has no "to" address (XEP-0114 requires one)' };
  if (el.attrs.xmlns !== undefined && STREAM_NS.has(el.attrs.xmlns)) delete el.attrs.xmlns;
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
