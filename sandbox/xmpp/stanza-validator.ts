// The one answer to "is this text one valid stanza, and what is wrong with it?", for every
// place that takes a stanza as text: the control API's stanza.inject (sandbox/xmpp/server.ts),
// the bridge's queue items (sandbox/bridge/stanza.ts), the inspector host's check of composer
// XML (src/inspector/controller.ts) and the composer's check as you type (webview/composer.ts,
// through src/protocol.ts). It runs in Node and in the browser: no Node APIs here or in what
// it imports.
//
// In order, the first problem wins:
// 1. size: at most `maxBytes` of UTF-8 (policy-violation);
// 2. XML: well-formed restricted XML, RFC 6120 §11.1: no comments, processing instructions,
//    DTDs, or entity references other than the five predefined ones; one optional XML
//    declaration at the very start (XML 1.0 §2.8) — parsed by the stream layer's own parser,
//    sandbox/xmpp/xml/parser.ts (xml-invalid, with the line and column);
// 3. exactly one root element (xml-invalid);
// 4. the stanza: <message/>, <presence/> or <iq/> (RFC 6120 §8) in a stanza namespace (RFC 6120
//    §4.8.3: the stream's default namespace when it has no xmlns); a `type` from RFC 6120 §8.2.3
//    (iq, required) or RFC 6121 §5.2.2 / §4.7.1 (message, presence); an iq has an id (RFC 6120
//    §8.1.3), a get or set exactly one payload element and a result at most one (§8.2.3)
//    (bad-request);
// 5. `to` and `from`, when present, are JIDs (RFC 7622; jid-malformed).

import type { Element } from '@xmpp/xml';
import { parseJid } from './jid';
import { IQ_TYPES, MESSAGE_TYPES, PRESENCE_TYPES, STANZA_KINDS, STANZA_NAMESPACES, isStanzaName, type StanzaErrorCondition, type StanzaName } from './vocabulary';
import { XmlStreamParser, type XmlErrorCondition } from './xml/parser';
import { utf8ByteLength } from './xml/utf8';

/**
 * Why a text is not a valid stanza: `xml-invalid` (the control API's code for bad XML), or the
 * RFC 6120 §8.3.3 stanza error condition a server would answer with.
 */
export type StanzaProblemCondition = 'xml-invalid' | Extract<StanzaErrorCondition, 'bad-request' | 'jid-malformed' | 'policy-violation'>;

export type StanzaValidation =
  | { ok: true; element: Element }
  /** `line` and `column` (1-based, in UTF-16 code units) locate XML errors; the message ends with them too. */
  | { ok: false; condition: StanzaProblemCondition; message: string; line?: number; column?: number };

export interface StanzaValidatorOptions {
  /** The largest text accepted, in bytes of UTF-8 (default: no limit). */
  maxBytes?: number;
}

// XML 1.0 §2.8: a declaration may only open the text.
const XML_DECLARATION = /^<\?xml(?:\s[^?]*)?\?>/;

const TYPES: Record<StanzaName, { values: readonly string[]; required: boolean; rfc: string }> = {
  iq: { values: IQ_TYPES, required: true, rfc: 'RFC 6120 §8.2.3' },
  message: { values: MESSAGE_TYPES, required: false, rfc: 'RFC 6121 §5.2.2' },
  presence: { values: PRESENCE_TYPES, required: false, rfc: 'RFC 6121 §4.7.1' },
};

function list(values: readonly string[]): string {
  return `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

function problem(condition: StanzaProblemCondition, message: string): StanzaValidation {
  return { ok: false, condition, message };
}

/** An XML error at `offset` of `text`, located by line and column. */
function xmlProblem(condition: StanzaProblemCondition, message: string, text: string, offset: number): StanzaValidation {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  const column = end - lineStart + 1;
  return { ok: false, condition, message: `${message} (line ${line}, column ${column})`, line, column };
}

function xmlMessage(condition: XmlErrorCondition, reason: string): string {
  switch (condition) {
    case 'restricted-xml':
      return `restricted XML: ${reason} (RFC 6120 §11.1 allows no comments, processing instructions, DTDs or entity declarations)`;
    case 'policy-violation':
      return `limit exceeded: ${reason}`;
    default:
      return `not well-formed XML: ${reason}`;
  }
}

/** Check that `text` is exactly one valid stanza; returns its element, or the first problem. */
export function validateStanza(text: string, opts: StanzaValidatorOptions = {}): StanzaValidation {
  const max = opts.maxBytes ?? Infinity;
  if (text.length * 3 > max && utf8ByteLength(text) > max) return problem('policy-violation', `the stanza is larger than ${max} bytes`);

  // ---- XML
  const decl = XML_DECLARATION.exec(text)?.[0].length ?? 0;
  const elements: Element[] = [];
  let failure: StanzaValidation | null = null;
  const parser = new XmlStreamParser(
    {
      streamStart() {},
      streamEnd() {},
      element(el) {
        elements.push(el);
      },
      error(condition, reason, offset) {
        failure = xmlProblem(condition === 'policy-violation' ? 'policy-violation' : 'xml-invalid', xmlMessage(condition, reason), text, decl + offset);
      },
    },
    { framed: true, maxElementBytes: Infinity },
  );
  parser.write(decl ? text.slice(decl) : text);
  const failed = failure as StanzaValidation | null; // set by the handler, which TypeScript does not follow
  if (failed) return failed;
  if (!parser.idle) return xmlProblem('xml-invalid', 'not well-formed XML: the text ends before the element is closed', text, text.length);
  if (elements.length === 0) return problem('xml-invalid', 'no root element: the text is empty');
  if (elements.length > 1) return problem('xml-invalid', `more than one root element: a stanza is exactly one element, this text has ${elements.length}`);
  const el = elements[0]!;

  // ---- the stanza
  if (!isStanzaName(el.name)) {
    return problem('bad-request', `<${el.name}/> is not a stanza: the root element must be ${list(STANZA_KINDS.map((k) => `<${k}/>`))} (RFC 6120 §8)`);
  }
  const ns = el.attrs.xmlns;
  if (ns !== undefined && !STANZA_NAMESPACES.includes(ns)) {
    return problem('bad-request', `the stanza's namespace must be ${list(STANZA_NAMESPACES)}, not ${ns || 'empty'} (RFC 6120 §4.8.3)`);
  }
  const rule = TYPES[el.name];
  const type = el.attrs.type;
  if (type === undefined ? rule.required : !rule.values.includes(type)) {
    const must = el.name === 'iq' ? 'an iq needs type' : `a ${el.name}'s type must be`;
    return problem('bad-request', `${must} ${list(rule.values)}, ${type === undefined ? 'it has none' : `not "${type}"`} (${rule.rfc})`);
  }
  if (el.name === 'iq') {
    if (!el.attrs.id) return problem('bad-request', 'an iq needs an id (RFC 6120 §8.1.3)');
    const payload = el.getChildElements().length;
    if ((type === 'get' || type === 'set') && payload !== 1) {
      return problem('bad-request', `an iq of type ${type} needs exactly one payload element, it has ${payload} (RFC 6120 §8.2.3)`);
    }
    if (type === 'result' && payload > 1) return problem('bad-request', `an iq of type result has at most one payload element, it has ${payload} (RFC 6120 §8.2.3)`);
  }

  // ---- addresses
  for (const a of ['to', 'from'] as const) {
    const value = el.attrs[a];
    if (value === undefined) continue;
    try {
      parseJid(value);
    } catch (err) {
      return problem('jid-malformed', `'${a}' is not a valid JID: ${(err as Error).message} (RFC 7622)`);
    }
  }
  return { ok: true, element: el };
}
