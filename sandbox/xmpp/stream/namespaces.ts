// Namespaces used on the wire (RFC 6120 §4, §6, §7, RFC 7395, XEP-0114, XEP-0198).
export const NS_STREAMS = 'http://etherx.jabber.org/streams';
export const NS_CLIENT = 'jabber:client';
export const NS_SERVER = 'jabber:server';
export const NS_COMPONENT = 'jabber:component:accept';
export const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
export const NS_STREAM_ERRORS = 'urn:ietf:params:xml:ns:xmpp-streams';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
export const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
export const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
export const NS_SM = 'urn:xmpp:sm:3';

/** Stanza namespaces that a stream's default namespace stands in for (RFC 6120 §4.8.3). */
export const STANZA_NAMESPACES: readonly string[] = [NS_CLIENT, NS_SERVER, NS_COMPONENT];

export function isStanzaName(name: string): boolean {
  return name === 'message' || name === 'presence' || name === 'iq';
}
