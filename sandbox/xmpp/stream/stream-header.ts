// Stream headers (RFC 6120 §4.2, §4.7; RFC 7395 §3.3.1 for WebSocket <open/>): what the
// server writes, and the checks on what the client sent.

import { randomBytes } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { StreamErrorCondition } from '../session';
import { escapeAttr } from '../xml/serialize';
import { NS_CLIENT, NS_FRAMING, NS_STREAMS } from '../vocabulary';

/** A fresh stream id for each (re)start (RFC 6120 §4.7.3). */
export function newStreamId(): string {
  return randomBytes(8).toString('hex');
}

export function c2sHeaderXml(framed: boolean, id: string, domain: string): string {
  const from = escapeAttr(domain);
  return framed
    ? `<open xmlns='${NS_FRAMING}' id='${id}' from='${from}' version='1.0' xml:lang='en'/>`
    : `<?xml version='1.0'?><stream:stream xmlns='${NS_CLIENT}' xmlns:stream='${NS_STREAMS}' id='${id}' from='${from}' version='1.0' xml:lang='en'>`;
}

export interface HeaderProblem {
  condition: StreamErrorCondition;
  reason: string;
}

/** Check a client's c2s header; `from` is accepted unchecked (docs/interop.md §1.2). */
export function checkC2sHeader(root: Element, framed: boolean, domain: string): HeaderProblem | null {
  if (framed) {
    if (root.attrs.xmlns !== NS_FRAMING) return { condition: 'invalid-namespace', reason: `<open/> namespace '${root.attrs.xmlns ?? ''}'` };
  } else {
    if (root.name !== 'stream:stream' || root.attrs['xmlns:stream'] !== NS_STREAMS) return { condition: 'invalid-namespace', reason: `bad stream header <${root.name}>` };
    // RFC 6120 §4.9.3.10: the default namespace must be jabber:client on c2s streams.
    if (root.attrs.xmlns !== NS_CLIENT) return { condition: 'invalid-namespace', reason: `stream namespace '${root.attrs.xmlns ?? ''}' is not jabber:client` };
  }
  const version = root.attrs.version;
  // RFC 6120 §4.7.5: we speak 1.x.
  if (version !== undefined && !/^1\.\d+$/.test(version)) return { condition: 'unsupported-version', reason: `stream version '${version}'` };
  const to = root.attrs.to;
  // RFC 6120 §4.9.3.6
  if (to !== undefined && to.toLowerCase() !== domain) return { condition: 'host-unknown', reason: `stream to '${to}'` };
  return null;
}
