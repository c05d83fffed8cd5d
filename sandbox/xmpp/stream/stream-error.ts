// RFC 6120 §4.9: <stream:error><COND xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>
// [<text/>]</stream:error>. On WebSocket the element must declare the stream prefix itself
// (RFC 7395 §3.3.3, docs/interop.md §1.2: the client resolves namespaces per frame).

import type { StreamErrorCondition } from '../session';
import { escapeText } from '../xml/serialize';
import { NS_STREAMS, NS_STREAM_ERRORS } from '../vocabulary';

export const STREAM_PREFIX_DECL = ` xmlns:stream='${NS_STREAMS}'`;

export function streamErrorXml(condition: StreamErrorCondition, text: string | undefined, declarePrefix: boolean): string {
  const t = text ? `<text xmlns='${NS_STREAM_ERRORS}' xml:lang='en'>${escapeText(text)}</text>` : '';
  return `<stream:error${declarePrefix ? STREAM_PREFIX_DECL : ''}><${condition} xmlns='${NS_STREAM_ERRORS}'/>${t}</stream:error>`;
}
