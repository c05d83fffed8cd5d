// Stanza XML in the browser, for display: pretty-printing for the detail view and a message's
// body. (Whether a text is a valid stanza is the sandbox's validator's call, through
// src/protocol.ts.) The output is a string that the caller puts into textContent, so markup in
// it is never interpreted.

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
