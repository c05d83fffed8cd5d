// The trace contract: what the sandbox tells the world about every stanza's path.
//
// This file is the stable, versioned data source of the stanza inspector, the explorer
// and the JSON-lines export. It is plain data (JSON-serialisable, no classes) so the same
// objects cross the IPC boundary and land in the webview unchanged. Add fields, never
// rename or repurpose them; bump TRACE_SCHEMA_VERSION when a consumer would misread old data.
//
// One stanza that arrives produces, in order (all with the same `packetId`):
//   arrival → stage(enter preprocess) → plugin* → stage(leave preprocess)
//           → stage(enter process) → plugin* → stage(leave process)
//           → stage(enter postprocess) → plugin* → stage(leave postprocess)
//           → stage(enter filter) → plugin* → stage(leave filter)
//           → outcome
// Every stage a packet passes through emits enter and leave, even when no plugin acted there
// (an empty stage is still a stage the packet went through). Stages a packet never reaches
// (process and postprocess after a preprocess block) emit nothing.
// Packets produced by a plugin (Tigase's P1 → P2 copies) get their own `arrival` with
// `parentId` set to the producer's packetId and `producedBy` naming the plugin, so the
// inspector can link the chain. A c2s→c2s message therefore shows as two packets:
// P1 (direction 'out', on behalf of the sender) and P2 (direction 'in', for the receiver).

export const TRACE_SCHEMA_VERSION = 1 as const;

/** The four session-manager stages (Tigase's SessionManager.processPacket), declared in the vocabulary. */
export { STAGES, type Stage } from '../xmpp/vocabulary';
import type { Stage } from '../xmpp/vocabulary';

// Every closed set of values below is declared once, as a const array, and its type derived
// from it: the trace ring (bus.ts, TRACE_COLUMNS) stores these fields as an index into the
// same array, so a member added here is one the ring records; a value outside the array is a
// type error, and at run time the ring throws rather than record it.

/** The three stanza kinds (RFC 6120 §8). */
export const STANZA_KINDS = ['message', 'presence', 'iq'] as const;
export type StanzaKind = (typeof STANZA_KINDS)[number];

/**
 * 'out': processed on behalf of a local sender (it came from a c2s session).
 * 'in': processed on behalf of the receiver (a copy made for delivery, or traffic from a
 * component, the server itself or an injection addressed to a local user).
 */
export const DIRECTIONS = ['in', 'out'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Where a packet entered the sandbox (`PacketSource.kind`). */
export const SOURCE_KINDS = ['c2s', 'component', 'server', 'inject', 'plugin'] as const;
/** The connection a source came over (`PacketSource.transport`). */
export const TRANSPORTS = ['tcp', 'websocket', 'component'] as const;

/** Where a packet entered the sandbox. */
export interface PacketSource {
  kind: (typeof SOURCE_KINDS)[number];
  /** Session id (c2s/component), when there is one. */
  sessionId?: string;
  /** Full JID of the c2s session, or the component domain. */
  jid?: string;
  /** 'tcp' | 'websocket' for c2s. */
  transport?: (typeof TRANSPORTS)[number];
  /**
   * The queue list the sandbox's bridge component popped this stanza from (e.g. 'xmpp:outbox'),
   * when it arrived over the bridge's component stream (sandbox/bridge/bridge.ts).
   */
  queue?: string;
}

/**
 * The message a packet delivers out of the offline store (XEP-0160 §4 flood on presence,
 * XEP-0013 §2.4/§2.6 view and fetch, XEP-0198 §5 re-delivery of unacknowledged stanzas):
 * the packet that was stored, and when. `packetId` is unique within the sandbox run that
 * stored it, which may be an earlier one (the store outlives a restart): `stamp` (XEP-0082,
 * the store's own) tells the two apart.
 */
export interface StoredRef {
  packetId: string;
  stamp: string;
}

/**
 * What a plugin did with a packet.
 * - passed: looked at it and let it go on (or did not apply)
 * - blocked: preprocess returned true (the packet stops here)
 * - handled: consumed it and produced nothing (e.g. a presence that only updated state)
 * - produced: consumed or answered it, emitting `produced` packets
 * - dropped: a filter removed a result packet
 * - error: it threw; the sandbox caught it (`error` holds the message)
 * - queue-full: its bounded queue was full; the packet was answered with resource-constraint
 */
export const VERDICTS = ['passed', 'blocked', 'handled', 'produced', 'dropped', 'error', 'queue-full'] as const;
export type Verdict = (typeof VERDICTS)[number];

/**
 * The end of one packet's path.
 * - delivered: written to one or more sessions (`to` lists full JIDs / component domains)
 * - forwarded: consumed and re-emitted as new packet(s) (`produced` lists their ids)
 * - stored-offline: kept in the offline store for `to[0]` (a bare JID)
 * - bounced: answered with a stanza error (`error` is the condition)
 * - blocked: stopped by a preprocessor (`plugin`, `reason`)
 * - dropped: removed by a filter (`plugin`, `reason`)
 * - handled: consumed by a plugin with no further packet (e.g. an iq result to the server)
 * - ignored: silently discarded as the RFC says (e.g. type=error to an offline user)
 */
export const OUTCOMES = ['delivered', 'forwarded', 'stored-offline', 'bounced', 'blocked', 'dropped', 'handled', 'ignored'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** A stage event marks entering or leaving a stage. */
export const PHASES = ['enter', 'leave'] as const;
export type Phase = (typeof PHASES)[number];

/** Queue operations traced by the Redis-compatible queue (`QueueEvent.op`). */
export const QUEUE_OPS = ['push', 'pop', 'move', 'remove', 'trim', 'delete', 'flush', 'publish', 'dead-letter'] as const;
export type QueueOp = (typeof QUEUE_OPS)[number];

interface TraceEventBase {
  /** Schema version of this event. */
  v: typeof TRACE_SCHEMA_VERSION;
  /** Monotonic sequence number across the whole sandbox run (gaps mean the ring dropped events). */
  seq: number;
  /** Wall clock, milliseconds since the epoch (fractional part = sub-ms). */
  ts: number;
  /** The packet this event is about ('p' + counter, unique within a sandbox run). */
  packetId: string;
}

export interface ArrivalEvent extends TraceEventBase {
  type: 'arrival';
  source: PacketSource;
  direction: Direction;
  kind: StanzaKind;
  /** The `type` attribute, or the RFC default ('normal' for message, 'available' for presence). */
  stanzaType: string;
  from?: string;
  to?: string;
  /** The stanza's `id` attribute (pairs iq requests with responses). */
  id?: string;
  /** Namespace of the first child element, if any (e.g. 'urn:xmpp:ping'). */
  xmlns?: string;
  /** Name of the first child element, if any. */
  child?: string;
  /** The packet's XML as it entered the pipeline (after `from` stamping). */
  xml: string;
  bytes: number;
  /** Set when a plugin produced this packet from another one. */
  parentId?: string;
  producedBy?: string;
  /** Set when this packet delivers a message out of the offline store: the stored packet. */
  stored?: StoredRef;
  /**
   * The scenario run this packet belongs to (TraceBus.tagSession): sent by a session the run
   * tagged, or produced from such a packet. The inspector filters on it (`run:<tag>`).
   */
  run?: string;
}

export interface StageEvent extends TraceEventBase {
  type: 'stage';
  stage: Stage;
  phase: Phase;
  /** On 'leave': time spent in the stage, µs. */
  durationUs?: number;
}

export interface PluginEvent extends TraceEventBase {
  type: 'plugin';
  stage: Stage;
  plugin: string;
  verdict: Verdict;
  durationUs: number;
  /** packetIds of the packets this plugin emitted. */
  produced?: string[];
  /** Why it blocked/dropped (free text from the plugin). */
  reason?: string;
  /** Message of the error it threw. */
  error?: string;
}

export interface OutcomeEvent extends TraceEventBase {
  type: 'outcome';
  outcome: Outcome;
  /** Session full JIDs or component domains written to; the bare JID for stored-offline. */
  to?: string[];
  /** packetIds re-emitted, for 'forwarded'. */
  produced?: string[];
  /** Stanza error condition, for 'bounced' (e.g. 'service-unavailable'). */
  error?: string;
  /** Plugin that blocked, dropped or handled it. */
  plugin?: string;
  reason?: string;
  /** Arrival → outcome, µs. */
  totalUs: number;
}

/** Queue activity (the Redis-compatible queue), for the explorer and inspector. */
export interface QueueEvent extends Omit<TraceEventBase, 'packetId'> {
  type: 'queue';
  packetId?: undefined;
  op: QueueOp;
  key: string;
  /** Destination list for 'move'. */
  dest?: string;
  /** List length after the operation. */
  length?: number;
  /** Number of items affected. */
  count?: number;
  client?: string;
  /**
   * 'dead-letter': the bridge refused an item of `key` and moved it to the list `dest`;
   * `reason` says why (the dead letter's own reason) and `item` is the item's text.
   */
  reason?: string;
  item?: string;
}

export type PacketTraceEvent = ArrivalEvent | StageEvent | PluginEvent | OutcomeEvent;
export type TraceEvent = PacketTraceEvent | QueueEvent;

/** Distributive Omit, so `TraceEventInput` keeps the union's discriminant. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** What emitters pass to the bus: the bus stamps v, seq and ts. */
export type TraceEventInput = DistributiveOmit<TraceEvent, 'v' | 'seq' | 'ts'>;

/**
 * Whether `e` is part of a packet's summary: what a list of packets needs (its arrival, the
 * plugins' verdicts, its outcome) and queue activity. A pass records about 12 events, 8 of
 * them stage enter/leave; subscribers that cross a process boundary (the stanza inspector)
 * get the summaries live and fetch the stage timeline of the packets someone looks at
 * (control 'trace.packets'), so a flood costs them a third as many events.
 */
export function isSummaryEvent(e: TraceEvent): boolean {
  return e.type !== 'stage';
}

/** At most this many packet ids in one request for their detail (control 'trace.packets'). */
export const TRACE_PACKETS_MAX = 20_000;

/** One JSON line of an export: exactly the event. */
export function toJsonLine(e: TraceEvent): string {
  return JSON.stringify(e);
}
