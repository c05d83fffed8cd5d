// The seam between the stream layer (sockets, XML framing, SASL, XEP-0198, XEP-0114
// handshake: sandbox/xmpp/stream, sandbox/xmpp/auth) and the session manager (pipeline,
// plugins, routing, offline storage: sandbox/xmpp/core). The stream layer owns sessions and
// their wires; the session manager owns what stanzas mean. Neither reaches past this file.

import type { Element } from '@xmpp/xml';
import type { Jid } from './jid';

/** RFC 6120 §4.9.3 stream error conditions used by the sandbox. */
export type { StreamErrorCondition } from './vocabulary';
import type { StreamErrorCondition } from './vocabulary';

/** A live c2s or component session as the session manager sees it. */
export interface StreamSession {
  /** Unique within a sandbox run, e.g. 'c2s-7', 'comp-2'. Stable across XEP-0198 resumption. */
  readonly id: string;
  readonly kind: 'c2s' | 'component';
  readonly transport: 'tcp' | 'websocket' | 'component';
  /** c2s: the bound full JID (null until bound). component: its domain as a JID. */
  readonly jid: Jid | null;
  /** ms since epoch */
  readonly connectedAt: number;
  /** XEP-0198 state: off, on, or detached (connection lost, waiting for resumption). */
  readonly sm: 'off' | 'on' | 'detached';
  /**
   * Write a stanza to the client. With XEP-0198 on, it is counted and kept until acked;
   * while detached, it is queued for resumption (and handed back through `ended` if the
   * session expires). Never throws; writing to a closed session is a no-op that returns false.
   */
  send(stanza: Element): boolean;
  /**
   * Flow control for bulk delivery (the offline store, docs/interop.md §3.6): true while the
   * connection's unsent bytes are under config xmpp.outboundHighWaterBytes; false while detached
   * or ended. Absent on sessions without flow control (components): write at will.
   */
  readonly writable?: boolean;
  /** Calls `fn(true)` once the unsent bytes are under half the high-water mark, `fn(false)` if the session ends first. */
  whenWritable?(fn: (open: boolean) => void): void;
  /**
   * send() with a receipt: `done(true)` once the stanza is delivered as far as the server can
   * know (taken by the OS; with XEP-0198, acknowledged by <a h/>), `done(false)` if the
   * connection or session ends first. An unacknowledged tracked stanza is not among `ended`'s
   * `unacked`: its owner (the offline store) still holds it. Returns false, and never calls
   * `done`, when the session is closed.
   */
  sendTracked?(stanza: Element, done: (delivered: boolean) => void): boolean;
  /** XEP-0198 §4: ask the client for an <a/> now, for what was sent since the last request (a bulk sender waits on acknowledgements). */
  requestAck?(): void;
  /** Send a stream error (if given) and close the stream; ends the session without resumption. */
  close(condition?: StreamErrorCondition, text?: string): void;
}

/** Accounts check used by SASL (the stream layer does the mechanism, this says who may log in). */
export interface AccountStore {
  /** The password for `username` (already lower-cased), or null if it may not log in. */
  passwordFor(username: string): string | null;
  /** The shared secret of the component `domain` (XEP-0114 §3), or undefined when none may connect as it. */
  componentSecret(domain: string): string | undefined;
}

export class BindError extends Error {
  constructor(
    readonly condition: 'conflict' | 'not-allowed' | 'bad-request' | 'jid-malformed' | 'resource-constraint',
    message: string,
  ) {
    super(message);
    this.name = 'BindError';
  }
}

/** What the stream layer calls on the session manager. */
export interface SessionManagerPort {
  readonly domain: string;
  /**
   * RFC 6120 §7: bind `requestedResource` (null = generate one) for `session`, whose
   * authenticated identity is `bare`. Kicks an existing session with the same full JID
   * (stream error <conflict/>, docs/interop.md §1.6). Returns the full JID; throws BindError.
   */
  bind(session: StreamSession, bare: Jid, requestedResource: string | null): Jid;
  /**
   * Every stanza (message, presence, iq) received on a bound c2s session or an
   * authenticated component stream, in wire order. The stream layer has already checked
   * size limits, restricted XML and, for components, that `from` is in its domain.
   */
  receive(session: StreamSession, stanza: Element): void;
  /**
   * A component authenticated for `domain`. Returns false if that domain is already
   * connected (the stream layer then sends <conflict/>).
   */
  componentUp(session: StreamSession): boolean;
  /**
   * The session is gone for good: stream closed, connection lost without XEP-0198, or the
   * resumption window expired. `unacked` are outbound stanzas the client never acknowledged
   * (XEP-0198 §4 / §5): the session manager re-routes them or stores them offline.
   */
  ended(session: StreamSession, unacked: Element[]): void;
  /** XEP-0198: connection lost, session kept for resumption (still routable; sends queue). */
  detached(session: StreamSession): void;
  /** XEP-0198: session resumed on a new connection. */
  resumed(session: StreamSession): void;
  /** Extra stream features plugins contribute after bind-capable auth (RFC 6120 §4.3.2). */
  streamFeatures(session: StreamSession): Element[];
}
