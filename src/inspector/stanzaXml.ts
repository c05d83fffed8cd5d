// The host's own check of composer XML before stanza.inject (the webview checked it too, but
// the webview is not trusted). Well-formed (saxes), one root element, a stanza
// (RFC 6120 §8: message, presence, iq), no DTD (XMPP forbids it: RFC 6120 §11.1).

import { SaxesParser } from 'saxes';
import { LIMITS } from '../protocol';

const STANZAS = new Set(['message', 'presence', 'iq']);

/** Returns null when `xml` may be injected, else the reason. */
export function checkStanzaXml(xml: string): string | null {
  if (Buffer.byteLength(xml, 'utf8') > LIMITS.stanzaXmlBytes) return `the stanza is larger than ${LIMITS.stanzaXmlBytes} bytes`;
  const parser = new SaxesParser({ xmlns: true });
  let depth = 0;
  let roots = 0;
  let rootName = '';
  let rootAttrs: Record<string, string> = {};
  let problem: string | null = null;
  parser.on('doctype', () => (problem ??= 'a DTD is not allowed in XMPP (RFC 6120 §11.1)'));
  parser.on('processinginstruction', () => (problem ??= 'processing instructions are not allowed in XMPP (RFC 6120 §11.1)'));
  parser.on('opentag', (tag) => {
    if (depth === 0) {
      roots++;
      rootName = tag.local;
      rootAttrs = Object.fromEntries(Object.values(tag.attributes).map((a) => [a.name, a.value]));
    }
    if (!tag.isSelfClosing) depth++;
  });
  parser.on('closetag', (tag) => {
    if (!tag.isSelfClosing) depth--;
  });
  parser.on('text', (t) => {
    if (depth === 0 && t.trim()) problem ??= 'text outside the root element';
  });
  try {
    parser.write(xml).close();
  } catch (err) {
    return `not well-formed XML: ${(err as Error).message}`;
  }
  if (problem) return problem;
  if (roots !== 1) return roots === 0 ? 'no element' : 'more than one root element';
  if (!STANZAS.has(rootName)) return `the root element must be message, presence or iq, not ${rootName}`;
  if (rootName === 'iq') {
    if (!['get', 'set', 'result', 'error'].includes(rootAttrs.type ?? '')) return 'an iq needs type get, set, result or error (RFC 6120 §8.2.3)';
    if (!rootAttrs.id) return 'an iq needs an id (RFC 6120 §8.2.3)';
  }
  return null;
}
