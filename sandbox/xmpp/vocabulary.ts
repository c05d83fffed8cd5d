// The XMPP vocabulary, in one place: namespaces, stream and stanza error conditions, and the
// session manager's stages. Pure data (no imports), so the extension and the webview may import
// it as well as the server. Each name cites the section that defines it.

// ---------------------------------------------------------------- namespaces

/** RFC 6120 §4.8.1: the stream namespace (prefix `stream:`). */
export const NS_STREAMS = 'http://etherx.jabber.org/streams';
/** RFC 6120 §4.8.2: the content namespaces of c2s and s2s streams. */
export const NS_CLIENT = 'jabber:client';
export const NS_SERVER = 'jabber:server';
/** XEP-0114 §3: the content namespace of a component stream. */
export const NS_COMPONENT = 'jabber:component:accept';
/** RFC 7395 §3.3: the framing namespace of XMPP over WebSocket. */
export const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
/** RFC 6120 §4.9.3: stream error conditions. */
export const NS_STREAM_ERRORS = 'urn:ietf:params:xml:ns:xmpp-streams';
/** RFC 6120 §8.3.3: stanza error conditions. */
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
/** RFC 6120 §6.4: SASL negotiation. */
export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
/** RFC 6120 §7.4: resource binding. */
export const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
/** RFC 3921 §3 (session establishment, optional per draft-cridland-xmpp-session). */
export const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
/** XEP-0198: stream management. */
export const NS_SM = 'urn:xmpp:sm:3';
/** RFC 6121 §2: the roster. */
export const NS_ROSTER = 'jabber:iq:roster';
/** XEP-0030: service discovery. */
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
/** XEP-0199: XMPP ping. */
export const NS_PING = 'urn:xmpp:ping';
/** XEP-0092: software version. */
export const NS_VERSION = 'jabber:iq:version';
/** XEP-0203: delayed delivery. */
export const NS_DELAY = 'urn:xmpp:delay';
/** XEP-0013: flexible offline message retrieval. */
export const NS_OFFLINE = 'http://jabber.org/protocol/offline';
/** XEP-0334: message processing hints. */
export const NS_HINTS = 'urn:xmpp:hints';
/** XEP-0004: data forms. */
export const NS_DATA_FORMS = 'jabber:x:data';

/** Where a namespace is defined: `RFC 6120 §7.4` or `XEP-0199`, and the document's title. */
export interface NamespaceSpec {
  spec: string;
  title: string;
}

/**
 * The specification of each namespace: those above, and others scripts and plugins commonly
 * write (the editor's hover on an xmlns in a .scs file reads this table). The XEP numbers are
 * those of the XSF's registry, https://xmpp.org/registrar/namespaces.html. All but SASL's
 * (RFC 6120 §6.4, in its comment above): it belongs to stream negotiation, which no stanza in a
 * script holds, and the extension's bundle carries this table, where that namespace would
 * mark server code (test/extension/suite/activation.test.ts looks for it).
 */
export const NAMESPACE_SPECS: Readonly<Record<string, NamespaceSpec>> = {
  [NS_STREAMS]: { spec: 'RFC 6120 §4.8.1', title: 'XMPP Core: the stream namespace' },
  [NS_CLIENT]: { spec: 'RFC 6120 §4.8.2', title: 'XMPP Core: client-to-server content namespace' },
  [NS_SERVER]: { spec: 'RFC 6120 §4.8.2', title: 'XMPP Core: server-to-server content namespace' },
  [NS_COMPONENT]: { spec: 'XEP-0114', title: 'Jabber Component Protocol' },
  [NS_FRAMING]: { spec: 'RFC 7395 §3.3', title: 'XMPP over WebSocket: framing' },
  [NS_STREAM_ERRORS]: { spec: 'RFC 6120 §4.9.3', title: 'XMPP Core: stream error conditions' },
  [NS_STANZAS]: { spec: 'RFC 6120 §8.3.3', title: 'XMPP Core: stanza error conditions' },
  [NS_BIND]: { spec: 'RFC 6120 §7.4', title: 'XMPP Core: resource binding' },
  [NS_SESSION]: { spec: 'RFC 3921 §3', title: 'session establishment (obsolete)' },
  [NS_SM]: { spec: 'XEP-0198', title: 'Stream Management' },
  [NS_ROSTER]: { spec: 'RFC 6121 §2', title: 'XMPP IM: roster management' },
  [NS_DISCO_INFO]: { spec: 'XEP-0030', title: 'Service Discovery (info)' },
  [NS_DISCO_ITEMS]: { spec: 'XEP-0030', title: 'Service Discovery (items)' },
  [NS_PING]: { spec: 'XEP-0199', title: 'XMPP Ping' },
  [NS_VERSION]: { spec: 'XEP-0092', title: 'Software Version' },
  [NS_DELAY]: { spec: 'XEP-0203', title: 'Delayed Delivery' },
  [NS_OFFLINE]: { spec: 'XEP-0013', title: 'Flexible Offline Message Retrieval' },
  [NS_HINTS]: { spec: 'XEP-0334', title: 'Message Processing Hints' },
  [NS_DATA_FORMS]: { spec: 'XEP-0004', title: 'Data Forms' },
  'jabber:iq:last': { spec: 'XEP-0012', title: 'Last Activity' },
  'http://jabber.org/protocol/muc': { spec: 'XEP-0045', title: 'Multi-User Chat' },
  'http://jabber.org/protocol/muc#user': { spec: 'XEP-0045', title: 'Multi-User Chat (user)' },
  'http://jabber.org/protocol/muc#admin': { spec: 'XEP-0045', title: 'Multi-User Chat (admin)' },
  'http://jabber.org/protocol/muc#owner': { spec: 'XEP-0045', title: 'Multi-User Chat (owner)' },
  'jabber:iq:private': { spec: 'XEP-0049', title: 'Private XML Storage' },
  'vcard-temp': { spec: 'XEP-0054', title: 'vcard-temp' },
  'http://jabber.org/protocol/pubsub': { spec: 'XEP-0060', title: 'Publish-Subscribe' },
  'http://jabber.org/protocol/pubsub#event': { spec: 'XEP-0060', title: 'Publish-Subscribe (events)' },
  'jabber:x:oob': { spec: 'XEP-0066', title: 'Out of Band Data' },
  'jabber:iq:register': { spec: 'XEP-0077', title: 'In-Band Registration' },
  'http://jabber.org/protocol/chatstates': { spec: 'XEP-0085', title: 'Chat State Notifications' },
  'http://jabber.org/protocol/caps': { spec: 'XEP-0115', title: 'Entity Capabilities' },
  'http://jabber.org/protocol/nick': { spec: 'XEP-0172', title: 'User Nickname' },
  'urn:xmpp:receipts': { spec: 'XEP-0184', title: 'Message Delivery Receipts' },
  'urn:xmpp:blocking': { spec: 'XEP-0191', title: 'Blocking Command' },
  'urn:xmpp:time': { spec: 'XEP-0202', title: 'Entity Time' },
  'urn:xmpp:carbons:2': { spec: 'XEP-0280', title: 'Message Carbons' },
  'urn:xmpp:forward:0': { spec: 'XEP-0297', title: 'Stanza Forwarding' },
  'urn:xmpp:mam:2': { spec: 'XEP-0313', title: 'Message Archive Management' },
  'urn:xmpp:csi:0': { spec: 'XEP-0352', title: 'Client State Indication' },
  'urn:xmpp:sid:0': { spec: 'XEP-0359', title: 'Unique and Stable Stanza IDs' },
  'urn:xmpp:http:upload:0': { spec: 'XEP-0363', title: 'HTTP File Upload' },
};

/** The web address of a NamespaceSpec's document (its section, for an RFC). */
export function specUrl(spec: string): string {
  const xep = /^XEP-(\d{4})/.exec(spec);
  if (xep) return `https://xmpp.org/extensions/xep-${xep[1]}.html`;
  const rfc = /^RFC (\d+)(?: §([\d.]+))?/.exec(spec);
  if (rfc) return `https://www.rfc-editor.org/rfc/rfc${rfc[1]}${rfc[2] ? `#section-${rfc[2]}` : ''}`;
  return 'https://xmpp.org/registrar/namespaces.html';
}

/** Stanza namespaces that a stream's default namespace stands in for (RFC 6120 §4.8.3). */
export const STANZA_NAMESPACES: readonly string[] = [NS_CLIENT, NS_SERVER, NS_COMPONENT];

/** RFC 6120 §8: the three stanza kinds. */
export const STANZA_KINDS = ['message', 'presence', 'iq'] as const;
export type StanzaName = (typeof STANZA_KINDS)[number];

export function isStanzaName(name: string): name is StanzaName {
  return name === 'message' || name === 'presence' || name === 'iq';
}

/** RFC 6120 §8.2.3: the values of an iq's (required) `type`. */
export const IQ_TYPES = ['get', 'set', 'result', 'error'] as const;
/** RFC 6121 §5.2.2: the values of a message's `type` (absent means normal). */
export const MESSAGE_TYPES = ['chat', 'error', 'groupchat', 'headline', 'normal'] as const;
/** RFC 6121 §4.7.1: the values of a presence's `type` (absent means available). */
export const PRESENCE_TYPES = ['error', 'probe', 'subscribe', 'subscribed', 'unavailable', 'unsubscribe', 'unsubscribed'] as const;

// ---------------------------------------------------------------- errors

/** RFC 6120 §4.9.3: the defined stream error conditions. */
export const STREAM_ERROR_CONDITIONS = [
  'bad-format',
  'bad-namespace-prefix',
  'conflict',
  'connection-timeout',
  'host-gone',
  'host-unknown',
  'improper-addressing',
  'internal-server-error',
  'invalid-from',
  'invalid-namespace',
  'invalid-xml',
  'not-authorized',
  'not-well-formed',
  'policy-violation',
  'remote-connection-failed',
  'reset',
  'resource-constraint',
  'restricted-xml',
  'see-other-host',
  'system-shutdown',
  'undefined-condition',
  'unsupported-encoding',
  'unsupported-feature',
  'unsupported-stanza-type',
  'unsupported-version',
] as const;
export type StreamErrorCondition = (typeof STREAM_ERROR_CONDITIONS)[number];

/** RFC 6120 §8.3.3: each defined stanza error condition with the error type the sandbox uses for it. */
export const STANZA_ERROR_TYPES = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
} as const;
export type StanzaErrorCondition = keyof typeof STANZA_ERROR_TYPES;
export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';
export const STANZA_ERROR_CONDITIONS = Object.keys(STANZA_ERROR_TYPES) as StanzaErrorCondition[];

// ---------------------------------------------------------------- the session manager

/**
 * The four stages every packet passes, in order, as in Tigase's SessionManager
 * (docs/architecture.md, "How a stanza travels").
 */
export const STAGES = ['preprocess', 'process', 'postprocess', 'filter'] as const;
export type Stage = (typeof STAGES)[number];
