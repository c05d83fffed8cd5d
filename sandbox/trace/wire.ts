// A batch of trace events as it crosses the IPC channel (ipc-child.ts → ipc-client.ts): one
// flat array instead of an object per event. Node's IPC writes JSON, and under a flood the
// objects' keys, the JIDs, packet ids and plugin names they repeat, and the stanza text a
// receiver's pass repeats from its sender's pass were most of the bytes: serialising and
// writing them took a third of the sandbox's time with the inspector open. Here every string
// is written once per batch and then named by its index, keys are not written at all, and
// objects kept by reference in the ring (a session's source) once per batch too.
//
// The layout of each event type is TRACE_COLUMNS's (columns.ts), so a field added there travels
// without a change here, and decode() builds each event with the ring's own key order and
// absent optional fields left out: decode(encode(x)) serialises to the same JSON as x.

import { TRACE_COLUMNS, type TraceEventType } from './columns';
import { TRACE_SCHEMA_VERSION, type TraceEvent } from './events';

export interface WireBatch {
  /** Wire format version. */
  w: 2;
  /** Every object kept by reference (PacketSource, StoredRef), once. */
  r: unknown[];
  /**
   * Per event: its type's index in TYPES, then its fields in TRACE_COLUMNS order (type and v
   * left out): null when absent, enums as their index, refs as their index in `r`, an
   * arrival's xml as SAME_XML when it is the previous arrival's (a receiver's pass follows its
   * sender's), everything else as itself.
   */
  e: (number | string | null | string[])[];
}

/** An arrival's xml that is the previous arrival's in the batch. */
const SAME_XML = -1;

type Op = { key: string; enc: string; optional: boolean; values: readonly string[] };

const TYPES = Object.keys(TRACE_COLUMNS) as TraceEventType[];
/** Every field of each type, in TRACE_COLUMNS order (the order decode() builds the keys in). */
const FIELDS: readonly (readonly Op[])[] = TYPES.map((type) =>
  Object.entries(TRACE_COLUMNS[type] as Record<string, { enc: string; optional?: boolean; values?: readonly string[] }>).map(([key, c]) => ({ key, enc: c.enc, optional: c.optional === true, values: c.values ?? [] })),
);
/** What each type writes: every field but the tag and the version. */
const OPS: readonly (readonly Op[])[] = FIELDS.map((f) => f.filter((c) => c.enc !== 'tag' && c.enc !== 'version'));
const TYPE_INDEX = new Map(TYPES.map((t, k) => [t, k]));

type Encoder = (e: Record<string, unknown>, out: WireBatch['e'], ref: (x: unknown) => number, xml: { last: unknown }) => void;

/**
 * One encoder per event type, generated from its fields (as bus.ts generates its writers): a
 * loop reading `e[key]` with a different key each turn is a megamorphic load, and it made
 * encoding cost as much as the rest of the IPC send.
 */
const ENCODERS: readonly Encoder[] = OPS.map((ops, t) => {
  const q = JSON.stringify;
  const lines = ops.map((op, k) => {
    const x = `x${k}`;
    const get = `const ${x} = e[${q(op.key)}];`;
    switch (op.enc) {
      case 'enum':
        return `${get} out.push(${x} === undefined ? null : values[${k}].indexOf(${x}));`;
      case 'ref':
        return `${get} out.push(${x} === undefined ? null : ref(${x}));`;
      case 'string':
        if (op.key === 'xml') return `${get} if (${x} === undefined) out.push(null); else if (${x} === xml.last) out.push(${SAME_XML}); else { xml.last = ${x}; out.push(${x}); }`;
        return `${get} out.push(${x} === undefined ? null : ${x});`;
      default:
        return `${get} out.push(${x} === undefined ? null : ${x});`;
    }
  });
  return new Function('values', `"use strict"; return function encode${t}(e, out, ref, xml) {\nout.push(${t});\n${lines.join('\n')}\n};`)(ops.map((op) => op.values)) as Encoder;
});

export function encodeBatch(events: readonly TraceEvent[]): WireBatch {
  const refs: unknown[] = [];
  const refIndex = new Map<unknown, number>();
  const ref = (x: unknown): number => {
    let k = refIndex.get(x);
    if (k === undefined) {
      k = refs.push(x) - 1;
      refIndex.set(x, k);
    }
    return k;
  };
  const out: WireBatch['e'] = [];
  const xml = { last: undefined as unknown };
  for (const e of events) {
    const t = TYPE_INDEX.get(e.type);
    if (t === undefined) throw new TypeError(`trace wire: ${JSON.stringify(e.type)} is not an event type`);
    ENCODERS[t]!(e as unknown as Record<string, unknown>, out, ref, xml);
  }
  return { w: 2, r: refs, e: out };
}

type Decoder = (data: WireBatch['e'], i: number, refs: unknown[], xml: { last: unknown }, o: Record<string, unknown>) => number;

/** One decoder per event type, generated like the encoders: fills `o` from data[i...], returns where the next event starts. */
const DECODERS: readonly Decoder[] = FIELDS.map((fields, t) => {
  const q = JSON.stringify;
  const lines = fields.map((c, k) => {
    const key = `o[${q(c.key)}]`;
    switch (c.enc) {
      case 'tag':
        return `${key} = ${q(TYPES[t])};`;
      case 'version':
        return `${key} = ${TRACE_SCHEMA_VERSION};`;
    }
    const x = `x${k}`;
    const absent = !c.optional && (c.enc === 'string' || c.enc === 'packetId' || c.enc === 'symbol') ? `${key} = undefined;` : '';
    const value = c.enc === 'enum' ? `values[${k}][${x}]` : c.enc === 'ref' ? `refs[${x}]` : c.key === 'xml' && c.enc === 'string' ? `(xml.last = ${x} === ${SAME_XML} ? xml.last : ${x})` : x;
    return `{ const ${x} = data[i++]; if (${x} === null || ${x} === undefined) { ${absent} } else ${key} = ${value}; }`;
  });
  return new Function('values', `"use strict"; return function decode${t}(data, i, refs, xml, o) {\n${lines.join('\n')}\nreturn i;\n};`)(fields.map((c) => c.values)) as Decoder;
});

/** The events of a batch, each as the ring reads it back (key order, absent fields left out). */
export function decodeBatch(batch: WireBatch): TraceEvent[] {
  if (batch?.w !== 2 || !Array.isArray(batch.r) || !Array.isArray(batch.e)) throw new TypeError('trace wire: not a batch of format 2');
  const { r: refs, e: data } = batch;
  const events: TraceEvent[] = [];
  const xml = { last: undefined as unknown };
  for (let i = 0; i < data.length; ) {
    const t = data[i++] as number;
    const decode = DECODERS[t];
    if (decode === undefined) throw new TypeError(`trace wire: event type ${String(t)} is not one of ${TYPES.length}`);
    const o: Record<string, unknown> = {};
    i = decode(data, i, refs, xml, o);
    events.push(o as unknown as TraceEvent);
  }
  return events;
}
