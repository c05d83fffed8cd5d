// The trace ring's column table: how each field of each event type is kept (bus.ts) and how a
// batch crosses the IPC channel (wire.ts). Plain data and types only: the extension host's IPC
// client loads it to decode batches, and it must stay free of server code.

import { DIRECTIONS, OUTCOMES, PHASES, QUEUE_OPS, STAGES, STANZA_KINDS, VERDICTS, type TraceEvent } from './events';

// ---------------------------------------------------------------- the column table
//
// The ring keeps events as columns, not objects: a full ring of 50,000 objects that all
// outlive a scavenge is what made the garbage collector the biggest cost of tracing (every
// event copied, promoted to old space, then mark-swept). An object is built only when someone
// reads the ring (snapshot, export); subscribers get the emitted objects. Strings are copied
// into a text arena (bus.ts, TextArena) rather than kept by reference, for the same reason: the
// packet ids, JIDs and stanza text a reference kept alive were promoted with every pass, and
// the old-space collections they caused made trace on cost 1.6× trace off in CPU per message
// (bench/pipeline.ts); copied, they die young like the rest of the pass.
//
// TRACE_COLUMNS below is the one place that says how each field of each event type is kept.
// Its entries are in the order the keys read back (the order the pipeline builds them, the
// bus's v, seq and ts last), so exports are the same bytes whether or not anyone subscribed.
// A field added to an event type in events.ts is a type error here until it has a codec;
// a member added to one of the const arrays there is recorded as itself, and a value that
// is not a member throws instead of being stored.

/** `type`: kept as the slot's kind. */
interface TagCodec {
  readonly enc: 'tag';
}
/** `v`: TRACE_SCHEMA_VERSION, not stored. */
interface VersionCodec {
  readonly enc: 'version';
}
/** `seq`: not stored; it follows from the slot's distance to the ring's head. */
interface SeqCodec {
  readonly enc: 'seq';
}
/** `ts`: stamped by the bus (number column 0). */
interface TsCodec {
  readonly enc: 'ts';
}
/** A member of one of events.ts's const arrays: its index + 1 in a byte column, 0 when absent. */
interface EnumCodec<T extends string, O extends boolean> {
  readonly enc: 'enum';
  readonly optional: O;
  readonly values: readonly T[];
  /** Type only: makes the codec invariant in T, so a subset of a union does not fit its field. */
  readonly _member?: (v: T) => T;
}
/** A number in a Float64 column; NaN when absent. */
interface NumberCodec<O extends boolean> {
  readonly enc: 'number';
  readonly optional: O;
}
/** A string, copied into the text arena; undefined when absent. */
interface StringCodec<O extends boolean> {
  readonly enc: 'string';
  readonly optional: O;
}
/**
 * A packet id ('p' + counter, xmpp/core/packet.ts): the counter in a number column, read back
 * as 'p' + counter; any other text (tests, a plugin's own ids) kept by reference. Copying every
 * event's packet id into the arena was most of the cost of a stage event, which has no other text.
 */
interface PacketIdCodec<O extends boolean> {
  readonly enc: 'packetId';
  readonly optional: O;
}
/**
 * A plugin id: its index in one table of the ids seen (the plugin registry bounds them), in a
 * number column. A plugin event's other texts are usually absent, so it then copies no text.
 */
interface SymbolCodec<O extends boolean> {
  readonly enc: 'symbol';
  readonly optional: O;
}
/** A list of strings (JIDs, packet ids), copied into the text arena; undefined when absent. */
interface StringsCodec<O extends boolean> {
  readonly enc: 'strings';
  readonly optional: O;
}
/** An array or object (plain data the emitter no longer changes), kept by reference. */
interface RefCodec<O extends boolean> {
  readonly enc: 'ref';
  readonly optional: O;
}
export type Codec =
  | TagCodec
  | VersionCodec
  | SeqCodec
  | TsCodec
  | Omit<EnumCodec<string, boolean>, '_member'>
  | NumberCodec<boolean>
  | StringCodec<boolean>
  | PacketIdCodec<boolean>
  | SymbolCodec<boolean>
  | StringsCodec<boolean>
  | RefCodec<boolean>;

type IsOptional<E, K extends keyof E> = {} extends Pick<E, K> ? true : false;
/** The codec a field of type T must have (a field that is only ever undefined: an optional string). */
type ValueCodec<T, O extends boolean> = [T] extends [never]
  ? StringCodec<true> | PacketIdCodec<true>
  : [T] extends [number]
    ? NumberCodec<O>
    : [T] extends [string]
      ? string extends T
        ? StringCodec<O> | PacketIdCodec<O> | SymbolCodec<O>
        : EnumCodec<T, O>
      : [T] extends [readonly string[]]
        ? StringsCodec<O>
        : RefCodec<O>;
type FieldCodec<E, K extends keyof E> = K extends 'type'
  ? TagCodec
  : K extends 'v'
    ? VersionCodec
    : K extends 'seq'
      ? SeqCodec
      : K extends 'ts'
        ? TsCodec
        : ValueCodec<Exclude<E[K], undefined>, IsOptional<E, K>>;
/** One codec for every field of E, optional ones included. */
type Columns<E> = { readonly [K in keyof E]-?: FieldCodec<E, K> };

export type TraceEventType = TraceEvent['type'];
export type EventOf<T extends TraceEventType> = Extract<TraceEvent, { type: T }>;

const tag: TagCodec = { enc: 'tag' };
const v: VersionCodec = { enc: 'version' };
const seq: SeqCodec = { enc: 'seq' };
const ts: TsCodec = { enc: 'ts' };
const str: StringCodec<false> = { enc: 'string', optional: false };
const optStr: StringCodec<true> = { enc: 'string', optional: true };
const pid: PacketIdCodec<false> = { enc: 'packetId', optional: false };
const optPid: PacketIdCodec<true> = { enc: 'packetId', optional: true };
const sym: SymbolCodec<false> = { enc: 'symbol', optional: false };
const optSym: SymbolCodec<true> = { enc: 'symbol', optional: true };
const num: NumberCodec<false> = { enc: 'number', optional: false };
const optNum: NumberCodec<true> = { enc: 'number', optional: true };
const optStrs: StringsCodec<true> = { enc: 'strings', optional: true };
const ref: RefCodec<false> = { enc: 'ref', optional: false };
const optRef: RefCodec<true> = { enc: 'ref', optional: true };
const oneOf = <T extends string>(values: readonly T[]): EnumCodec<T, false> => ({ enc: 'enum', optional: false, values });

/** How the ring keeps each field of each event type, in read-back key order. */
export const TRACE_COLUMNS = {
  arrival: {
    type: tag,
    packetId: pid,
    source: ref,
    direction: oneOf(DIRECTIONS),
    kind: oneOf(STANZA_KINDS),
    stanzaType: str,
    xml: str,
    bytes: num,
    from: optStr,
    to: optStr,
    id: optStr,
    child: optStr,
    xmlns: optStr,
    parentId: optPid,
    producedBy: optSym,
    stored: optRef,
    run: optStr,
    v,
    seq,
    ts,
  },
  stage: { type: tag, packetId: pid, stage: oneOf(STAGES), phase: oneOf(PHASES), durationUs: optNum, v, seq, ts },
  plugin: { type: tag, packetId: pid, stage: oneOf(STAGES), plugin: sym, verdict: oneOf(VERDICTS), durationUs: num, produced: optStrs, reason: optStr, error: optStr, v, seq, ts },
  outcome: { type: tag, packetId: pid, outcome: oneOf(OUTCOMES), totalUs: num, to: optStrs, produced: optStrs, error: optStr, plugin: optSym, reason: optStr, v, seq, ts },
  queue: { type: tag, packetId: optPid, op: oneOf(QUEUE_OPS), key: str, dest: optStr, length: optNum, count: optNum, client: optStr, reason: optStr, item: optStr, v, seq, ts },
} satisfies { readonly [T in TraceEventType]: Columns<EventOf<T>> };
