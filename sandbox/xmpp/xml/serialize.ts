// Fast serialisation of @xmpp/xml Elements for the wire. The top element's `xmlns` is
// adjusted per stream (RFC 6120 §4.8.3: on a TCP stream a stanza inherits the stream's
// default namespace; RFC 7395 §3.3.3: on WebSocket every stanza carries it explicitly;
// XEP-0114: a component stream's default namespace is jabber:component:accept) without
// mutating the element, which may be shared by several recipients.

import type { Element, Node } from '@xmpp/xml';

const ESC_ATTR = /[&<>"']/g;
const ESC_TEXT = /[&<>]/g;
const TABLE: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const esc = (c: string): string => TABLE[c];

export function escapeAttr(v: string): string {
  ESC_ATTR.lastIndex = 0;
  return ESC_ATTR.test(v) ? v.replace(ESC_ATTR, esc) : v;
}

export function escapeText(v: string): string {
  ESC_TEXT.lastIndex = 0;
  return ESC_TEXT.test(v) ? v.replace(ESC_TEXT, esc) : v;
}

function children(nodes: Node[]): string {
  let s = '';
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (typeof n === 'string') s += escapeText(n);
    else if (n && typeof n === 'object') s += serialize(n);
    else if (n != null) s += escapeText(String(n));
  }
  return s;
}

function attrString(attrs: Record<string, unknown>, skipXmlns: boolean): string {
  let s = '';
  for (const k in attrs) {
    const v = attrs[k];
    if (v === undefined || v === null) continue;
    if (skipXmlns && k === 'xmlns') continue;
    s += ' ' + k + '="' + escapeAttr(typeof v === 'string' ? v : String(v)) + '"';
  }
  return s;
}

export function serialize(el: Element): string {
  const open = '<' + el.name + attrString(el.attrs, false);
  return el.children.length === 0 ? open + '/>' : open + '>' + children(el.children) + '</' + el.name + '>';
}

// The last frozen element serialised, and its text. A packet's element is frozen
// (core/packet.ts) and the copy routed to the receiver shares it, so the trace's arrival of
// the sender's packet, the receiver's packet's arrival and the write to the receiver's stream
// ask for the text of the same element in a row: it is built once. A frozen element cannot
// have changed since; an element that is not frozen is never remembered.
let lastFrozen: Element | null = null;
let lastText = '';

/** serialize(), remembering the text of the last frozen element. */
export function serializeShared(el: Element): string {
  if (el === lastFrozen) return lastText;
  const text = serialize(el);
  if (Object.isFrozen(el)) {
    lastFrozen = el;
    lastText = text;
  }
  return text;
}

/**
 * Serialise a top-level element for a stream whose default namespace is `streamNs`:
 * `xmlns` is dropped when it is one of `implied` (it would repeat the stream default) and,
 * when `explicit` is given, added if missing (WebSocket framing).
 */
export function serializeTop(el: Element, implied: readonly string[], explicit?: string): string {
  const ns = el.attrs.xmlns;
  // Nothing to adjust (the stanza has no xmlns and the framing adds none): the plain text,
  // which the trace may already have made.
  if (ns === undefined && explicit === undefined) return serializeShared(el);
  const skip = ns !== undefined && implied.includes(ns);
  let open = '<' + el.name;
  if (explicit !== undefined && (ns === undefined || skip)) open += ' xmlns="' + explicit + '"';
  open += attrString(el.attrs, skip);
  return el.children.length === 0 ? open + '/>' : open + '>' + children(el.children) + '</' + el.name + '>';
}
