// Parse one stanza given as text (control API stanza.inject) with the stream layer's
// restricted XML parser (RFC 6120 §11.1): exactly one complete element, or an error.

import type { Element } from '@xmpp/xml';
import { XmlStreamParser } from '../xml/parser';

export function parseStanza(text: string, maxBytes: number): Element {
  const els: Element[] = [];
  let error: string | null = null;
  const parser = new XmlStreamParser(
    {
      streamStart() {},
      element(el) {
        els.push(el);
      },
      streamEnd() {},
      error(condition, reason) {
        error ??= `${condition}: ${reason}`;
      },
    },
    { framed: true, maxElementBytes: maxBytes },
  );
  try {
    parser.write(text.trim());
  } catch (err) {
    error ??= err instanceof Error ? err.message : String(err);
  }
  if (error) throw new Error(error);
  if (els.length === 0) throw new Error('incomplete XML: no complete element');
  if (els.length > 1) throw new Error('more than one element');
  return els[0]!;
}
