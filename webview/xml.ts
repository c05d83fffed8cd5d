// Stanza XML in the browser: validation for the composer (immediate feedback; the host
// checks again before stanza.inject) and pretty-printing for the detail view. The output is
// a string that the caller puts into textContent, so markup in it is never interpreted.

export const STANZA_NAMES = ['message', 'presence', 'iq'] as const;

export type ParsedStanza = { ok: true; root: Element } | { ok: false; error: string };

/** Well-formed XML with exactly one root element, and that root is a stanza (RFC 6120 §8). */
export function parseStanza(xml: string): ParsedStanza {
  if (!xml.trim()) return { ok: false, error: 'empty' };
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const err = doc.getElementsByTagName('parsererror')[0];
  if (err) {
    // Chromium puts the message in a <div> inside <parsererror>; keep the first line.
    const msg = (err.textContent ?? 'not well-formed').replace(/\s+/g, ' ').trim();
    return { ok: false, error: msg.replace(/^This page contains the following errors:\s*/, '').replace(/Below is a rendering.*$/, '') };
  }
  const root = doc.documentElement;
  if (!(STANZA_NAMES as readonly string[]).includes(root.localName)) {
    return { ok: false, error: `the root element must be <message/>, <presence/> or <iq/>, not <${root.localName}/>` };
  }
  if (root.localName === 'iq') {
    const type = root.getAttribute('type');
    if (!type || !['get', 'set', 'result', 'error'].includes(type)) return { ok: false, error: 'an iq needs type get, set, result or error (RFC 6120 §8.2.3)' };
    if (!root.getAttribute('id')) return { ok: false, error: 'an iq needs an id (RFC 6120 §8.2.3)' };
  }
  return { ok: true, root };
}

function escText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escAttr(s: string): string {
  return escText(s).replace(/"/g, '&quot;');
}

function write(node: Element, depth: number, out: string[]): void {
  const indent = '  '.repeat(depth);
  let open = `<${node.nodeName}`;
  for (const a of Array.from(node.attributes)) open += ` ${a.name}="${escAttr(a.value)}"`;
  const kids = Array.from(node.childNodes).filter((c) => !(c.nodeType === Node.TEXT_NODE && !c.nodeValue?.trim()));
  if (kids.length === 0) {
    out.push(`${indent}${open}/>`);
    return;
  }
  if (kids.every((c) => c.nodeType === Node.TEXT_NODE || c.nodeType === Node.CDATA_SECTION_NODE)) {
    out.push(`${indent}${open}>${escText(kids.map((c) => c.nodeValue ?? '').join(''))}</${node.nodeName}>`);
    return;
  }
  out.push(`${indent}${open}>`);
  for (const c of kids) {
    if (c.nodeType === Node.ELEMENT_NODE) write(c as Element, depth + 1, out);
    else if (c.nodeType === Node.TEXT_NODE || c.nodeType === Node.CDATA_SECTION_NODE) out.push(`${indent}  ${escText((c.nodeValue ?? '').trim())}`);
    else if (c.nodeType === Node.COMMENT_NODE) out.push(`${indent}  <!--${c.nodeValue ?? ''}-->`);
  }
  out.push(`${indent}</${node.nodeName}>`);
}

/** Indent XML two spaces per level; text-only elements stay on one line. Unparseable input comes back unchanged. */
export function prettyXml(xml: string): string {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) return xml;
  const out: string[] = [];
  write(doc.documentElement, 0, out);
  return out.join('\n');
}

/** The text of a message's <body/> (RFC 6121 §5.2.3), or null. */
export function messageBody(xml: string): string | null {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) return null;
  for (const c of Array.from(doc.documentElement.children)) if (c.localName === 'body') return c.textContent ?? '';
  return null;
}
