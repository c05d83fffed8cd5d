import { TRACE_COLUMNS, type Codec, type EventOf, type TraceEventType } from './columns';
import {
  TRACE_SCHEMA_VERSION,
  type Phase,
  type PluginEvent,
  type Stage,
  type TraceEvent,
  type TraceEventInput,
  type Verdict,
  isSummaryEvent,
  toJsonLine,
} from './events';

export type TraceListener = (events: readonly TraceEvent[]) => void;

export interface SubscribeOptions {
  /**
   * Only the packets' summaries (isSummaryEvent: arrival, plugin verdicts, outcome, queue
   * activity), not their stage enter/leave. While every subscriber wants summaries, the bus
   * builds no object for a stage event at all: two thirds of a pass's events cost a
   * subscriber nothing. The stage timeline stays in the ring (forPackets).
   */
  summary?: boolean;
}

export interface TraceBusOptions {
  /** Ring buffer capacity in events (oldest dropped first). */
  capacity: number;
  /** When false, emit() is a no-op: the pipeline pays only a branch. */
  enabled: boolean;
  /**
   * Subscribers get events in batches, flushed at most this often (ms). Batching is what
   * keeps a busy sandbox from posting one IPC/webview message per event.
   */
  flushIntervalMs: number;
}

// The ring keeps events as columns, as TRACE_COLUMNS (columns.ts) says.
export { TRACE_COLUMNS, type TraceEventType };

// ---- the layout derived from the table: which column each field lives in ----

// Where a field lives: byte, number, value and text columns hold data; the rest are not stored.
const U8 = 0;
const F64 = 1;
const VAL = 2;
/** Text: the characters in the arena, their count in a number column (-1: absent). */
const TXT = 3;
const TAG = 4;
const VERSION = 5;
const SEQ = 6;
/** A packet id: its counter in a number column (-1: absent, NaN: not 'p' + counter, the text then in a value column). */
const PID = 7;
/** A plugin id: its index in SYMBOLS in a number column (-1: absent). */
const SYM = 8;
/** Number column 1: where the slot's text starts in the arena (its texts follow one another, in field order). */
const TEXT_START = 1;
/** Number column 2, and value column 0: every layout's packetId (forPacket scans them). */
const PACKET_ID = 2;
const PACKET_ID_TEXT = 0;

/** The plugin ids the ring has seen (SymbolCodec), by index; one table for every bus. */
const SYMBOLS: string[] = [];
const SYMBOL_INDEX = new Map<string, number>();

function symbolOf(s: string | undefined): number {
  if (s === undefined) return -1;
  let k = SYMBOL_INDEX.get(s);
  if (k === undefined) {
    k = SYMBOLS.push(s) - 1;
    SYMBOL_INDEX.set(s, k);
  }
  return k;
}

/** 'p' + counter → the counter; -1 when absent; NaN for any other text (kept as itself). */
function packetNumberOf(s: string | undefined): number {
  if (s === undefined) return -1;
  const n = s.length;
  if (n < 2 || n > 16 || s.charCodeAt(0) !== 112 /* p */ || (n > 2 && s.charCodeAt(1) === 48)) return NaN;
  let v = 0;
  for (let k = 1; k < n; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}

/** Marks a text field that holds a list (Field.values). */
const LIST: readonly string[] = Object.freeze(['(list)']);

/** One field of one event type, placed in a column. */
interface Field {
  readonly key: string;
  readonly where: number;
  readonly col: number;
  /** PID fields: the value column that keeps a packet id that is not 'p' + counter. */
  readonly vcol: number;
  readonly optional: boolean;
  /** Enum fields: the const array the byte indexes (code - 1). */
  readonly values: readonly string[];
}

interface Layout {
  readonly type: TraceEventType;
  /** Every field, in read-back key order. */
  readonly fields: readonly Field[];
  /** The fields an emitter supplies (all but type, v, seq and ts). */
  readonly stored: readonly Field[];
}

function layoutOf(type: TraceEventType, columns: Readonly<Record<string, Codec>>): Layout {
  // ts is number column 0 in every layout, the text start column 1, and packetId number column
  // 2 and value column 0: forPacket scans them.
  const next = [0, 3, 1];
  const fields: Field[] = [];
  for (const [key, codec] of Object.entries(columns)) {
    let where: number;
    let col = 0;
    let vcol = 0;
    let optional = false;
    let values: readonly string[] = [];
    switch (codec.enc) {
      case 'tag':
        where = TAG;
        break;
      case 'version':
        where = VERSION;
        break;
      case 'seq':
        where = SEQ;
        break;
      case 'ts':
        where = F64;
        break;
      case 'enum':
        where = U8;
        col = next[U8]!++;
        optional = codec.optional;
        values = codec.values;
        if (values.length > 255) throw new Error(`trace ${type}.${key}: more than 255 values do not fit a byte column`);
        break;
      case 'number':
        where = F64;
        col = next[F64]!++;
        optional = codec.optional;
        break;
      case 'packetId':
        where = PID;
        col = key === 'packetId' ? PACKET_ID : next[F64]!++;
        vcol = key === 'packetId' ? PACKET_ID_TEXT : next[VAL]!++;
        optional = codec.optional;
        break;
      case 'symbol':
        where = SYM;
        col = next[F64]!++;
        optional = codec.optional;
        break;
      case 'string':
      case 'strings':
        where = TXT;
        col = next[F64]!++;
        optional = codec.optional;
        values = codec.enc === 'strings' ? LIST : [];
        break;
      case 'ref':
        where = VAL;
        col = next[VAL]!++;
        optional = codec.optional;
        break;
    }
    fields.push({ key, where, col, vcol, optional, values });
  }
  if (fields.find((f) => f.key === 'packetId')?.where !== PID) throw new Error(`trace ${type}: packetId must be kept as a packet id (forPacket scans its column)`);
  return { type, fields, stored: fields.filter((f) => (f.where <= TXT || f.where === PID || f.where === SYM) && f.key !== 'ts') };
}

// ---- the layout compiled: one writer and one reader per event type ----
//
// The writers and readers are generated from the layout (new Function) rather than looping
// over it: a loop reads `e[key]` with a different key each turn, a megamorphic load that made
// recording an arrival almost three times slower; generated code reads `e["from"]` at a site of its
// own, as the hand-written columns did.

/** The ring's byte, number and value columns, as the generated code takes them. */
type U8s = readonly Uint8Array[];
type F64s = readonly Float64Array[];
type Vals = readonly unknown[][];

/** An enum field's byte for a value: index + 1, 0 when absent and optional. */
type Encoder = (value: unknown) => number;

function unknownValue(type: string, key: string, value: unknown, values: readonly string[]): never {
  throw new TypeError(`trace ${type}.${key}: ${JSON.stringify(value)} is not one of ${values.join(', ')}`);
}

/** An enum field's encoder: a chain of comparisons, cheaper than indexOf for a handful of members. */
function encoderOf(type: string, f: Field): Encoder {
  const tests = f.values.map((x, k) => `x === ${JSON.stringify(x)} ? ${k + 1} : `).join('');
  const absent = f.optional ? 'x === undefined ? 0 : ' : '';
  return new Function('unknownValue', 'type', 'key', 'values', `"use strict"; return function encode(x) { return ${tests}${absent}unknownValue(type, key, x, values); };`)(unknownValue, type, f.key, f.values) as Encoder;
}

/**
 * The stores of one event into slot `i`; `source(f)` is the expression of field f's value.
 * Enums are encoded first, so a value outside its union throws before anything is written.
 * Texts go to the arena one after another, in field order, from the place reserve() gives
 * (`floor`: where the oldest text the ring still holds starts).
 */
function writerSource(layout: Layout, source: (f: Field) => string): string {
  const enc = layout.stored.filter((f) => f.where === U8);
  const txt = layout.stored.filter((f) => f.where === TXT);
  const total = txt.map((f) => `(n${f.col} > 0 ? n${f.col} : 0)`).join(' + ');
  return [
    ...enc.map((f) => `const c${f.col} = enc[${f.col}](${source(f)});`),
    ...txt.map((f) => `const t${f.col} = ${f.values === LIST ? `listText(${source(f)})` : source(f)}; const n${f.col} = t${f.col} === undefined ? -1 : t${f.col}.length;`),
    // Where the oldest text the ring still holds starts is worked out only when there is text to place.
    txt.length ? `const total = ${total}; let at = total > 0 ? tx.reserve(total, ring.floor()) : tx.position;` : 'const at = tx.position;',
    `f64[${TEXT_START}][i] = at;`,
    ...txt.map((f) => `if (n${f.col} > 0) { tx.put(t${f.col}, at); at += n${f.col}; } f64[${f.col}][i] = n${f.col};`),
    ...layout.stored.map((f) => {
      switch (f.where) {
        case U8:
          return `u8[${f.col}][i] = c${f.col};`;
        case TXT:
          return '';
        case PID:
          return `{ const x = ${source(f)}; const n = packetNumberOf(x); f64[${f.col}][i] = n; val[${f.vcol}][i] = n !== n ? x : undefined; }`;
        case SYM:
          return `f64[${f.col}][i] = symbolOf(${source(f)});`;
        default:
          return `${f.where === F64 ? 'f64' : 'val'}[${f.col}][i] = ${source(f)};`;
      }
    }),
  ].join('\n');
}

function compile<F>(params: readonly string[], body: string, encoders: readonly Encoder[], values: readonly (readonly string[])[]): F {
  return new Function('enc', 'values', 'listText', 'textList', 'packetNumberOf', 'symbolOf', 'SYMBOLS', `"use strict"; return function (${params.join(', ')}) {\n${body}\n};`)(
    encoders,
    values,
    listText,
    textList,
    packetNumberOf,
    symbolOf,
    SYMBOLS,
  ) as F;
}

// A list is kept as its items, each followed by NUL: no JID (RFC 7622 §3) or packet id holds one.
function listText(list: readonly string[] | undefined): string | undefined {
  if (list === undefined) return undefined;
  let s = '';
  for (let k = 0; k < list.length; k++) s += list[k] + '\0';
  return s;
}

function textList(s: string): string[] {
  return s === '' ? [] : s.slice(0, -1).split('\0');
}

/** Writes an emitted event (its fields read by name) into slot `i`. */
type ObjectWriter = (u8: U8s, f64: F64s, val: Vals, tx: TextArena, ring: TextFloor, i: number, e: object) => void;
/** What a writer asks the ring, only when it has text to place: where the oldest text still held starts. */
interface TextFloor {
  floor(): number;
}
/** Reads slot `i` back as the event, keys in TRACE_COLUMNS order, absent optional fields left out. */
type Reader = (u8: U8s, f64: F64s, val: Vals, tx: TextArena, i: number, seq: number) => TraceEvent;

interface Compiled {
  readonly layout: Layout;
  /** Encoders by byte column. */
  readonly encoders: readonly Encoder[];
  readonly write: ObjectWriter;
  readonly read: Reader;
  /**
   * The event a subscriber gets: what `read` would give back for the slot `e` was just written
   * to (same keys, same order, same values: lists copied, absent and NaN optional fields left
   * out), built from `e` itself. Reading the slot back would decode every text out of the
   * arena again: new strings, which cost the IPC encoder a fresh hash each.
   */
  readonly normalize: (e: object, seq: number, ts: number) => TraceEvent;
}

/** The generated line for a field no emitter supplies (type, v, seq), the same in the reader and the normaliser; null for the others. */
function stampedField(layout: Layout, f: Field): string | null {
  const k = JSON.stringify(f.key);
  switch (f.where) {
    case TAG:
      return `o[${k}] = ${JSON.stringify(layout.type)};`;
    case VERSION:
      return `o[${k}] = ${TRACE_SCHEMA_VERSION};`;
    case SEQ:
      return `o[${k}] = seq;`;
    default:
      return null;
  }
}

function compiled(layout: Layout): Compiled {
  const encoders: Encoder[] = [];
  const values: (readonly string[])[] = [];
  for (const f of layout.fields) {
    if (f.where !== U8) continue;
    encoders[f.col] = encoderOf(layout.type, f);
    values[f.col] = f.values;
  }
  const q = JSON.stringify;
  const write = compile<ObjectWriter>(['u8', 'f64', 'val', 'tx', 'ring', 'i', 'e'], writerSource(layout, (f) => `e[${q(f.key)}]`), encoders, values);
  const read = compile<Reader>(
    ['u8', 'f64', 'val', 'tx', 'i', 'seq'],
    [
      'const o = {};',
      `let at = f64[${TEXT_START}][i];`,
      ...layout.fields.map((f) => {
        const k = q(f.key);
        const stamped = stampedField(layout, f);
        if (stamped !== null) return stamped;
        switch (f.where) {
          case U8:
            return f.optional ? `{ const c = u8[${f.col}][i]; if (c !== 0) o[${k}] = values[${f.col}][c - 1]; }` : `o[${k}] = values[${f.col}][u8[${f.col}][i] - 1];`;
          case F64:
            return f.optional ? `{ const x = f64[${f.col}][i]; if (x === x) o[${k}] = x; }` : `o[${k}] = f64[${f.col}][i];`;
          case PID:
            return `{ const n = f64[${f.col}][i]; if (n >= 0) o[${k}] = 'p' + n; else if (n !== n) o[${k}] = val[${f.vcol}][i];${f.optional ? '' : ` else o[${k}] = undefined;`} }`;
          case SYM:
            return `{ const n = f64[${f.col}][i]; if (n >= 0) o[${k}] = SYMBOLS[n];${f.optional ? '' : ` else o[${k}] = undefined;`} }`;
          case TXT: {
            const text = f.values === LIST ? 'textList(tx.get(at, n))' : 'tx.get(at, n)';
            return f.optional
              ? `{ const n = f64[${f.col}][i]; if (n >= 0) { o[${k}] = ${text}; at += n; } }`
              : `{ const n = f64[${f.col}][i]; if (n >= 0) { o[${k}] = ${text}; at += n; } else o[${k}] = undefined; }`;
          }
          default:
            return f.optional ? `{ const x = val[${f.col}][i]; if (x !== undefined) o[${k}] = x; }` : `o[${k}] = val[${f.col}][i];`;
        }
      }),
      'return o;',
    ].join('\n'),
    encoders,
    values,
  );
  const normalize = new Function(
    'e',
    'seq',
    'ts',
    [
      '"use strict"; const o = {};',
      ...layout.fields.map((f) => {
        const k = q(f.key);
        const stamped = stampedField(layout, f);
        if (stamped !== null) return stamped;
        if (f.key === 'ts') return `o[${k}] = ts;`;
        const x = `e[${k}]`;
        if (f.where === TXT && f.values === LIST) return `{ const x = ${x}; if (x !== undefined) o[${k}] = x.slice(); ${f.optional ? '' : `else o[${k}] = undefined;`} }`;
        if (f.where === TXT && !f.optional) return `o[${k}] = ${x};`;
        if (f.where === F64 && f.optional) return `{ const x = ${x}; if (x !== undefined && x === x) o[${k}] = x; }`;
        return f.optional ? `{ const x = ${x}; if (x !== undefined) o[${k}] = x; }` : `o[${k}] = ${x};`;
      }),
      'return o;',
    ].join('\n'),
  ) as Compiled['normalize'];
  return { layout, encoders, write, read, normalize };
}

/** By slot kind (the byte each slot keeps). */
const COMPILED: readonly Compiled[] = Object.entries(TRACE_COLUMNS).map(([type, columns]) => compiled(layoutOf(type as TraceEventType, columns)));
const KIND = Object.fromEntries(COMPILED.map((c, k) => [c.layout.type, k])) as Record<TraceEventType, number>;
/** How many columns of each sort the widest layout needs. */
const WIDTH = [U8, F64, VAL].map((where) =>
  Math.max(
    where === F64 ? PACKET_ID + 1 : where === VAL ? PACKET_ID_TEXT + 1 : 0,
    ...COMPILED.map((c) =>
      1 +
      Math.max(
        -1,
        ...c.layout.fields.filter((f) => f.where === where || (where === F64 && (f.where === TXT || f.where === PID || f.where === SYM))).map((f) => f.col),
        ...(where === VAL ? c.layout.fields.filter((f) => f.where === PID).map((f) => f.vcol) : []),
      ),
    ),
  ),
);

/**
 * A writer that takes the fields as arguments, in `params` order (no event object): for the
 * pipeline's most frequent events. `params` must name every field the emitter supplies.
 */
function positional<T extends TraceEventType, const P extends readonly (keyof EventOf<T>)[]>(type: T, params: P) {
  const c = COMPILED[KIND[type]]!;
  const missing = c.layout.stored.filter((f) => !params.includes(f.key as never)).map((f) => f.key);
  if (missing.length) throw new Error(`trace ${c.layout.type}: the positional writer lacks ${missing.join(', ')}`);
  const arg = (f: Field) => `a${params.indexOf(f.key as never)}`;
  type Args = { [K in keyof P]: EventOf<T>[P[K]] | undefined };
  return compile<(u8: U8s, f64: F64s, val: Vals, tx: TextArena, ring: TextFloor, i: number, ...args: Args) => void>(
    ['u8', 'f64', 'val', 'tx', 'ring', 'i', ...params.map((_, k) => `a${k}`)],
    writerSource(c.layout, arg),
    c.encoders,
    [],
  );
}

/** stage() and plugin(): the pipeline's most frequent events, written without an event object. */
const WRITE_STAGE = positional('stage', ['packetId', 'stage', 'phase', 'durationUs']);
const WRITE_PLUGIN = positional('plugin', ['packetId', 'stage', 'plugin', 'verdict', 'durationUs', 'produced', 'reason', 'error']);
const KIND_STAGE = KIND.stage;
const KIND_PLUGIN = KIND.plugin;

const INITIAL_SLOTS = 1024;

/** Whether this machine stores a UTF-16 code unit little end first, as Buffer's 'utf16le' does. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Shorter texts are copied unit by unit: cheaper than a call into Buffer's native code. */
const SHORT_TEXT = 32;

/**
 * The ring's texts, as UTF-16 code units (the strings' own, so any string comes back exactly,
 * lone surrogates included) in one growing buffer used round: unit `at` (a position that only
 * increases) is at `at % units`. No text straddles the buffer's end. Before a write would reach
 * text the ring still holds (at or after `floor`), the buffer doubles, keeping every position.
 */
class TextArena {
  private units: number;
  private bytes: Buffer;
  private u16: Uint16Array;
  /** Where the next text goes. */
  private pos = 0;

  constructor(units: number) {
    this.units = units;
    this.bytes = Buffer.alloc(units * 2);
    this.u16 = new Uint16Array(this.bytes.buffer, this.bytes.byteOffset, units);
  }

  /** Where the next text goes (a text-free slot records it: the floor never passes it). */
  get position(): number {
    return this.pos;
  }

  /** Room for `n` units in one piece, keeping what starts at `floor` and after; returns its position. */
  reserve(n: number, floor: number): number {
    for (;;) {
      let at = this.pos;
      const off = at % this.units;
      if (off + n > this.units) at += this.units - off;
      if (n <= this.units && at + n - this.units <= floor) {
        this.pos = at + n;
        return at;
      }
      this.grow(floor);
    }
  }

  put(s: string, at: number): void {
    const p = at % this.units;
    if (s.length < SHORT_TEXT || !LITTLE_ENDIAN) {
      const u = this.u16;
      for (let k = 0; k < s.length; k++) u[p + k] = s.charCodeAt(k);
    } else this.bytes.write(s, p * 2, 'utf16le');
  }

  get(at: number, n: number): string {
    const p = at % this.units;
    if (LITTLE_ENDIAN) return this.bytes.toString('utf16le', p * 2, (p + n) * 2);
    let s = '';
    for (let k = 0; k < n; k++) s += String.fromCharCode(this.u16[p + k]!);
    return s;
  }

  /** Whether the `s.length` units at `at` are `s`. */
  equals(at: number, s: string): boolean {
    const p = at % this.units;
    const u = this.u16;
    for (let k = 0; k < s.length; k++) if (u[p + k] !== s.charCodeAt(k)) return false;
    return true;
  }

  /** Twice the room; the units from `floor` to the next write position stay at their positions. */
  private grow(floor: number): void {
    const old = this.u16;
    const oldUnits = this.units;
    const units = oldUnits * 2;
    const bytes = Buffer.alloc(units * 2);
    const u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, units);
    for (let a = Math.max(floor, this.pos - oldUnits), end = this.pos; a < end; ) {
      const src = a % oldUnits;
      const dst = a % units;
      const n = Math.min(end - a, oldUnits - src, units - dst);
      u16.set(old.subarray(src, src + n), dst);
      a += n;
    }
    this.units = units;
    this.bytes = bytes;
    this.u16 = u16;
  }
}

/** A packed (non-holey, non-dictionary) array of `n` undefined slots. */
function slots(n: number): unknown[] {
  const a: unknown[] = [];
  for (let i = 0; i < n; i++) a.push(undefined);
  return a;
}

/**
 * The trace bus: a bounded ring buffer of TraceEvents plus batched subscribers.
 * Emitting is synchronous and allocation-free; delivery to subscribers is batched.
 */
export class TraceBus {
  // The ring, as columns indexed by slot (TRACE_COLUMNS says which field is where). `seq` is
  // not stored: the ring always holds the last `size` events emitted, so a slot's seq follows
  // from its distance to `head`.
  /** The slot's event type (index into COMPILED). */
  private kinds: Uint8Array;
  private readonly u8: Uint8Array[] = [];
  private readonly f64: Float64Array[] = [];
  private readonly val: unknown[][] = [];
  /** The texts (TRACE_COLUMNS' string fields); grows like the columns, by doubling, as it fills. */
  private readonly tx = new TextArena(INITIAL_SLOTS * 64);
  /** Slots the columns have room for (grows to `capacity`). */
  private allocated: number;
  private head = 0; // next write index
  private size = 0;
  private seq = 0;
  /** Subscribers, and whether each wants summaries only. */
  private readonly listeners = new Map<TraceListener, boolean>();
  /** Subscribers that want every event (stage events are published only while there is one). */
  private fullListeners = 0;
  private pending: TraceEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  enabled: boolean;
  readonly capacity: number;
  private readonly flushIntervalMs: number;
  private readonly timeOrigin = performance.timeOrigin;
  // Scenario runs (sandbox/scenario/runner.ts): session id → the run that tagged it, and packet
  // id → run for the packets of those sessions, so the packets they produce are the run's too.
  private readonly runSessions = new Map<string, string>();
  private readonly runPackets = new Map<string, string>();

  constructor(opts: Partial<TraceBusOptions> = {}) {
    this.capacity = Math.max(1, opts.capacity ?? 50_000);
    this.enabled = opts.enabled ?? true;
    this.flushIntervalMs = opts.flushIntervalMs ?? 50;
    // Columns start small and grow (doubling) during the ring's first lap: a large
    // configured buffer costs memory only once it is used.
    const n = Math.min(this.capacity, INITIAL_SLOTS);
    this.allocated = n;
    this.kinds = new Uint8Array(n);
    for (let c = 0; c < WIDTH[U8]!; c++) this.u8.push(new Uint8Array(n));
    for (let c = 0; c < WIDTH[F64]!; c++) this.f64.push(new Float64Array(n));
    for (let c = 0; c < WIDTH[VAL]!; c++) this.val.push(slots(n));
  }

  /** Cheap check so emitters can skip building events (e.g. serialising XML) when off. */
  get active(): boolean {
    return this.enabled;
  }

  get hasSubscribers(): boolean {
    return this.listeners.size > 0;
  }

  /** Last sequence number handed out (0 before the first event). */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Record an event; the bus stamps v, seq and ts. `t` is the event's `performance.now()`
   * when the emitter already took it (for a duration), so ts and the duration agree.
   * Throws (recording nothing) when a field holds a value its union does not have.
   */
  emit(input: TraceEventInput, t: number = performance.now()): void {
    if (!this.enabled) return;
    if (this.runSessions.size > 0 && input.type === 'arrival') this.tagArrival(input);
    const kind = KIND[input.type];
    const c = COMPILED[kind];
    if (!c) throw new TypeError(`trace: ${JSON.stringify(input.type)} is not an event type`);
    const i = this.reserve();
    c.write(this.u8, this.f64, this.val, this.tx, this, i, input);
    const ts = this.timeOrigin + t;
    const seq = this.commit(i, kind, ts);
    // Subscribers get the event as the ring gives it back (absent fields left out, keys in
    // TRACE_COLUMNS order), whatever shape the emitter built: the same as snapshot and export.
    if (this.listeners.size > 0 && (kind !== KIND_STAGE || this.fullListeners > 0)) this.publish(c.normalize(input, seq, ts));
  }

  /**
   * A stage event (the same as emit({ type: 'stage', ... })), recorded without allocating.
   * `t` is performance.now() at the event; `durationUs` only on 'leave'.
   */
  stage(packetId: string, stage: Stage, phase: Phase, t: number, durationUs?: number): void {
    if (!this.enabled) return;
    const dur = phase === 'leave' ? (durationUs ?? 0) : undefined;
    const i = this.reserve();
    WRITE_STAGE(this.u8, this.f64, this.val, this.tx, this, i, packetId, stage, phase, dur);
    const ts = this.timeOrigin + t;
    const seq = this.commit(i, KIND_STAGE, ts);
    if (this.fullListeners > 0) {
      // Subscribers need objects anyway: build the final shape (TRACE_COLUMNS.stage's order) in one go.
      this.publish(
        dur !== undefined
          ? { type: 'stage', packetId, stage, phase, durationUs: dur, v: TRACE_SCHEMA_VERSION, seq, ts }
          : { type: 'stage', packetId, stage, phase, v: TRACE_SCHEMA_VERSION, seq, ts },
      );
    }
  }

  /**
   * A plugin event (the same as emit({ type: 'plugin', ... })), recorded without allocating.
   * `t` is performance.now() at the event; produced/reason/error only when set.
   */
  plugin(packetId: string, stage: Stage, plugin: string, verdict: Verdict, t: number, durationUs: number, produced?: string[] | null, reason?: string, error?: string): void {
    if (!this.enabled) return;
    const i = this.reserve();
    WRITE_PLUGIN(this.u8, this.f64, this.val, this.tx, this, i, packetId, stage, plugin, verdict, durationUs, produced || undefined, reason || undefined, error || undefined);
    const ts = this.timeOrigin + t;
    const seq = this.commit(i, KIND_PLUGIN, ts);
    if (this.listeners.size > 0) {
      // TRACE_COLUMNS.plugin's key order.
      if (produced || reason || error) {
        const e = { type: 'plugin', packetId, stage, plugin, verdict, durationUs } as PluginEvent;
        if (produced) e.produced = produced;
        if (reason) e.reason = reason;
        if (error) e.error = error;
        e.v = TRACE_SCHEMA_VERSION;
        e.seq = seq;
        e.ts = ts;
        this.publish(e);
      } else this.publish({ type: 'plugin', packetId, stage, plugin, verdict, durationUs, v: TRACE_SCHEMA_VERSION, seq, ts });
    }
  }

  /**
   * Marks what session `sessionId` sends, and every packet produced from it, as scenario run
   * `run` (ArrivalEvent.run), until untagRun. Tagging costs emit() one check per event.
   */
  tagSession(sessionId: string, run: string): void {
    this.runSessions.set(sessionId, run);
  }

  /** Ends run `run`: its sessions' later packets are not tagged. Returns whether it had any. */
  untagRun(run: string): boolean {
    let had = false;
    for (const [k, r] of this.runSessions) if (r === run) had = this.runSessions.delete(k);
    for (const [k, r] of this.runPackets) if (r === run) this.runPackets.delete(k);
    return had;
  }

  private tagArrival(e: Extract<TraceEventInput, { type: 'arrival' }>): void {
    const sessionId = e.source.sessionId;
    const run = (sessionId === undefined ? undefined : this.runSessions.get(sessionId)) ?? (e.parentId === undefined ? undefined : this.runPackets.get(e.parentId));
    if (run === undefined) return;
    e.run = run;
    this.runPackets.set(e.packetId, run);
    // Bounded like the ring: a run longer than it forgets its oldest packets first.
    if (this.runPackets.size > this.capacity) this.runPackets.delete(this.runPackets.keys().next().value!);
  }

  /**
   * Where the oldest text the ring still needs starts, once the next event is in: the slot it
   * overwrites gives its text up (Infinity: no text is needed).
   */
  floor(): number {
    const cap = this.capacity;
    if (this.size === 0 || (this.size === cap && cap === 1)) return Infinity;
    return this.f64[TEXT_START]![this.size < cap ? (this.head - this.size + cap) % cap : (this.head + 1) % cap]!;
  }

  /** The slot the next event goes to (the columns grow during the first lap). */
  private reserve(): number {
    const i = this.head;
    if (i === this.allocated) this.grow();
    return i;
  }

  /** Finish the event in slot `i`; returns its seq. */
  private commit(i: number, kind: number, ts: number): number {
    this.kinds[i] = kind;
    this.f64[0]![i] = ts;
    const next = i + 1;
    this.head = next === this.capacity ? 0 : next;
    if (this.size < this.capacity) this.size++;
    return ++this.seq;
  }

  private publish(e: TraceEvent): void {
    this.pending.push(e);
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
  }

  private grow(): void {
    const n = Math.min(this.capacity, this.allocated * 2);
    const wider = <T extends Uint8Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
    this.kinds = wider(this.kinds, new Uint8Array(n));
    for (let c = 0; c < this.u8.length; c++) this.u8[c] = wider(this.u8[c]!, new Uint8Array(n));
    for (let c = 0; c < this.f64.length; c++) this.f64[c] = wider(this.f64[c]!, new Float64Array(n));
    for (const col of this.val) for (let k = col.length; k < n; k++) col.push(undefined);
    this.allocated = n;
  }

  /** The event in ring slot `i`, whose sequence number is `seq`. */
  private eventAt(i: number, seq: number): TraceEvent {
    return COMPILED[this.kinds[i]!]!.read(this.u8, this.f64, this.val, this.tx, i, seq);
  }

  /** Deliver pending events to subscribers now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    // Stage events are in the batch only while someone wants them all: summary subscribers get a copy without.
    let summaries: TraceEvent[] | null = null;
    for (const [l, summary] of this.listeners) {
      try {
        l(summary ? (summaries ??= batch.filter(isSummaryEvent)) : batch);
      } catch {
        // A faulty subscriber must not break tracing for the others.
      }
    }
  }

  /** Subscribe to batches of new events; returns the unsubscribe function. */
  subscribe(listener: TraceListener, opts: SubscribeOptions = {}): () => void {
    const summary = opts.summary === true;
    if (this.listeners.has(listener)) return () => undefined;
    this.listeners.set(listener, summary);
    if (!summary) this.fullListeners++;
    return () => {
      if (!this.listeners.delete(listener)) return;
      if (!summary) this.fullListeners--;
      if (this.listeners.size === 0) {
        this.pending = [];
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
      }
    };
  }

  /** Events still in the ring, oldest first; `sinceSeq` keeps only newer ones, `limit` the newest N. */
  snapshot(sinceSeq = 0, limit = Infinity): TraceEvent[] {
    const out: TraceEvent[] = [];
    const firstSeq = this.seq - this.size + 1; // seq of the oldest event in the ring
    let from = Math.max(0, sinceSeq - firstSeq + 1);
    if (limit < this.size - from) from = this.size - Math.max(0, Math.ceil(limit));
    const start = this.head - this.size + this.capacity;
    for (let k = from; k < this.size; k++) out.push(this.eventAt((start + k) % this.capacity, firstSeq + k));
    return out;
  }

  /** All events of one packet still in the ring. */
  forPacket(packetId: string): TraceEvent[] {
    return this.forPackets([packetId]);
  }

  /**
   * Every event of these packets still in the ring, oldest first: the stage timeline a
   * summary subscriber did not get. One pass over the ring's packet id column, whatever the
   * number of ids.
   */
  forPackets(packetIds: Iterable<string>): TraceEvent[] {
    const numbers = new Set<number>();
    const texts = new Set<string>();
    for (const id of packetIds) {
      const n = packetNumberOf(id);
      if (n === n) numbers.add(n);
      else texts.add(id);
    }
    const out: TraceEvent[] = [];
    if (numbers.size === 0 && texts.size === 0) return out;
    const firstSeq = this.seq - this.size + 1;
    const start = this.head - this.size + this.capacity;
    const ids = this.f64[PACKET_ID]!;
    const idTexts = this.val[PACKET_ID_TEXT]!;
    for (let k = 0; k < this.size; k++) {
      const i = (start + k) % this.capacity;
      const n = ids[i]!;
      if (n === n ? numbers.has(n) : texts.has(idTexts[i] as string)) out.push(this.eventAt(i, firstSeq + k));
    }
    return out;
  }

  /** The ring as JSON lines (one event per line, trailing newline). */
  exportJsonLines(sinceSeq = 0): string {
    const events = this.snapshot(sinceSeq);
    return events.length ? events.map(toJsonLine).join('\n') + '\n' : '';
  }

  clear(): void {
    // Let go of what the ring held (strings, arrays, objects); the typed columns hold no references.
    for (const col of this.val) col.fill(undefined);
    this.head = 0;
    this.size = 0;
    this.pending = [];
  }

  dispose(): void {
    this.flush();
    this.listeners.clear();
  }
}
