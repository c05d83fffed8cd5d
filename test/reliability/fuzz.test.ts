// Property-based fuzzing (fast-check) of the four places that read untrusted input: the
// restricted-XML stream parser (sandbox/xmpp/xml/parser.ts), the stanza validator
// (sandbox/xmpp/stanza-validator.ts), the session manager and router behind real c2s
// connections (sandbox/xmpp/core/), and the RESP request parser (sandbox/queue/resp/parser.ts).
// Properties: no crash, no hang, no unbounded memory, and the same answer for any chunking.
//
// Reproducible: the seed is fixed (FUZZ_SEED overrides it) and each property derives its own
// from it and its name; a failure names FUZZ_SEED with fast-check's seed, path and shrunk
// counterexample. FUZZ_RUNS scales the run counts (default 100: a few seconds per target in
// CI); `npm run fuzz` (scripts/fuzz.mjs) runs the same file 20× longer with a random seed.
// Counterexamples that found real bugs stay below as plain regression tests ("regression:").

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { createSandbox, type Sandbox } from '../../sandbox/index';
import { LogHub } from '../../sandbox/log';
import type { RouterView } from '../../sandbox/xmpp/core/router';
import { DEFAULT_LIMITS, ProtocolError, RequestParser, type ParserLimits } from '../../sandbox/queue/resp/parser';
import { validateStanza, type StanzaProblemCondition } from '../../sandbox/xmpp/stanza-validator';
import { IQ_TYPES, MESSAGE_TYPES, PRESENCE_TYPES, STANZA_NAMESPACES } from '../../sandbox/xmpp/vocabulary';
import { XmlStreamParser, type XmlErrorCondition } from '../../sandbox/xmpp/xml/parser';
import { serialize } from '../../sandbox/xmpp/xml/serialize';
import { utf8ByteLength } from '../../sandbox/xmpp/xml/utf8';
import { startXmppClient, stopClient } from '../helpers/xmpp-client';

// ------------------------------------------------------------------ seed and run counts

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, not ${JSON.stringify(v)}`);
  return n;
}

const BASE_SEED = envInt('FUZZ_SEED') ?? 0x0f022c12;
const RUNS = Math.max(1, envInt('FUZZ_RUNS') ?? 100);

/** FNV-1a: each property gets its own fixed seed, so adding one does not change the others' inputs. */
function seedFor(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h ^ BASE_SEED) | 0;
}

/** Runs for a property `scale` times as costly as the cheapest (at least `min`). */
function runs(scale: number, min = 1): number {
  return Math.max(min, Math.round(RUNS / scale));
}

/** fc.assert with the derived seed; a failure names FUZZ_SEED and FUZZ_RUNS to reproduce it. */
async function holds<Ts>(name: string, property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>, numRuns: number): Promise<void> {
  const seed = seedFor(name);
  try {
    await fc.assert(property, { seed, numRuns });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    e.message = `fuzz property "${name}" failed; reproduce with FUZZ_SEED=${BASE_SEED} FUZZ_RUNS=${RUNS} (property seed ${seed})\n${e.message}`;
    throw e;
  }
}

/** Chunks of `input`: at the given cut points, or every `n` characters/bytes. */
function split<T extends string | Uint8Array>(input: T, cuts: number[] | number): T[] {
  const out: T[] = [];
  if (typeof cuts === 'number') {
    for (let i = 0; i < input.length; i += cuts) out.push(input.slice(i, i + cuts) as T);
    return out.length ? out : [input];
  }
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const p of [...points, input.length]) {
    if (p <= from && p !== input.length) continue;
    out.push(input.slice(from, p) as T);
    from = p;
  }
  return out;
}
/** A few random cut points, or a dribble of 1 to 8 characters (bytes) at a time. */
const cutsArb: fc.Arbitrary<number[] | number> = fc.oneof(fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 1, max: 8 }));

// =================================================================== 1. the XML stream parser

interface XmlRun {
  events: string[];
  error: { condition: XmlErrorCondition; reason: string; offset: number } | null;
  idle: boolean;
}
interface XmlOpts {
  framed: boolean;
  max: number;
}
const MAX_DEPTH = 256;

function depthOf(el: Element): number {
  let d = 0;
  for (const c of el.children) if (typeof c !== 'string') d = Math.max(d, depthOf(c));
  return d + 1;
}

/** UTF-8 bytes of what an element holds (names, attributes, text): never more than its markup took on the wire. */
function contentBytes(el: Element): number {
  let n = utf8ByteLength(el.name);
  for (const [k, v] of Object.entries(el.attrs)) n += utf8ByteLength(k) + utf8ByteLength(String(v));
  for (const c of el.children) n += typeof c === 'string' ? utf8ByteLength(c) : contentBytes(c);
  return n;
}

/**
 * Feeds `chunks` to a parser and records what it reports. Checks on the way: write() never
 * throws (errors come through the handler only), one error at most and nothing after it, the
 * error offset lies in the input, and no element is deeper or holds more than the limits.
 * streamEnd stops the parser, as the c2s and component connections do.
 */
function parseXml(chunks: (string | Uint8Array)[], o: XmlOpts): XmlRun {
  const r: XmlRun = { events: [], error: null, idle: false };
  let ended = false;
  let inputLength = 0;
  const parser = new XmlStreamParser(
    {
      streamStart(root) {
        assert.ok(!r.error && !ended, 'streamStart after the end');
        r.events.push(`start <${root.name}${Object.entries(root.attrs).map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join('')}>`);
      },
      element(el) {
        assert.ok(!r.error && !ended, 'element after an error or the end');
        assert.ok(depthOf(el) <= MAX_DEPTH, `element ${depthOf(el)} deep`);
        assert.ok(contentBytes(el) <= o.max, `element holds ${contentBytes(el)} bytes, limit ${o.max}`);
        r.events.push('el ' + serialize(el));
      },
      streamEnd() {
        assert.ok(!r.error && !ended, 'streamEnd twice or after an error');
        r.events.push('end');
        ended = true;
        parser.stop();
      },
      error(condition, reason, offset) {
        assert.equal(r.error, null, 'error reported twice');
        assert.ok(reason.length > 0, 'error without a reason');
        r.error = { condition, reason, offset };
      },
    },
    { framed: o.framed, maxElementBytes: o.max },
  );
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  for (const c of chunks) {
    inputLength += typeof c === 'string' ? c.length : decoder.decode(c, { stream: true }).length;
    parser.write(c);
  }
  r.idle = parser.idle;
  if (r.error) assert.ok(r.error.offset >= 0 && r.error.offset <= inputLength, `error offset ${r.error.offset} outside the input (${inputLength})`);
  return r;
}

// ---- generators: names, text, element trees, streams

const NAME_START = ['a', 'b', 'q', 'x', 'Z', '_', 'é', '中', 'body'];
const nameArb = fc
  .tuple(fc.constantFrom(...NAME_START), fc.string({ unit: fc.constantFrom('a', 'z', '0', '9', '_', '.', '-', 'é', '·'), maxLength: 5 }))
  .map(([h, t]) => h + t);
/** Characters XML allows, weighted towards the ones that need escaping. */
const charArb = fc.oneof(
  fc.constantFrom('<', '>', '&', '"', "'", ' ', '\n', '\t', '\r', ']]>', 'é', '\u{1F600}', '\u00a0', '\u2028', '\ud7ff', '\ue000', '\ufffd', '&amp;'),
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
);
const textArb = fc.string({ unit: charArb, maxLength: 12 });
const attrsArb = fc.dictionary(nameArb, textArb, { maxKeys: 4 });

interface PNode {
  name: string;
  attrs: Record<string, string>;
  children: (PNode | string)[];
}

const treeArb: fc.Arbitrary<PNode> = fc.letrec<{ node: PNode }>((tie) => ({
  node: fc.record({
    name: nameArb,
    attrs: attrsArb,
    children: fc.array(fc.oneof({ maxDepth: 3, depthIdentifier: 'tree' }, textArb, tie('node')), { maxLength: 4, depthIdentifier: 'tree' }),
  }),
})).node;

/** A tree with some namespace declarations and a declared prefix, as stanzas carry them. */
const nsTreeArb = fc.tuple(treeArb, fc.option(fc.constantFrom('urn:x', 'jabber:client', 'http://jabber.org/protocol/disco#info')), fc.boolean()).map(([t, ns, prefixed]): PNode => {
  const attrs = { ...t.attrs };
  if (ns) attrs.xmlns = ns;
  if (!prefixed) return { ...t, attrs };
  return { ...t, attrs, children: [...t.children, { name: 'p:item', attrs: { 'xmlns:p': 'urn:p', 'p:flag': '1', 'xml:lang': 'en' }, children: ['x'] }] };
});

function toElement(n: PNode): Element {
  // No empty text nodes: the parser does not make them, so they would not round-trip.
  return xml(n.name, { ...n.attrs }, ...n.children.filter((c) => c !== '').map((c) => (typeof c === 'string' ? c : toElement(c))));
}
function toXml(n: PNode): string {
  return serialize(toElement(n));
}

/** What a parser gives back for a tree: adjacent text merged, empty text dropped. */
function normal(n: PNode): PNode {
  const children: (PNode | string)[] = [];
  for (const c of n.children) {
    if (typeof c !== 'string') children.push(normal(c));
    else if (c !== '') {
      if (typeof children[children.length - 1] === 'string') children[children.length - 1] += c;
      else children.push(c);
    }
  }
  return { name: n.name, attrs: { ...n.attrs }, children };
}
function plain(el: Element): PNode {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs)) attrs[k] = String(v);
  return { name: el.name, attrs, children: el.children.map((c) => (typeof c === 'string' ? c : plain(c))) };
}

const HEADER = `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`;

interface XmlDoc {
  text: string;
  framed: boolean;
  /** The serialised top-level elements, in order. */
  elements: string[];
  /** Where each top-level element's markup starts in `text`, and where the stream's end tag starts (or text.length). */
  starts: number[];
  end: number;
}

const docArb: fc.Arbitrary<XmlDoc> = fc
  .record({
    framed: fc.boolean(),
    decl: fc.boolean(),
    trees: fc.array(nsTreeArb, { maxLength: 5 }),
    gaps: fc.array(fc.constantFrom('', ' ', '\n', '\r\n\t '), { minLength: 6, maxLength: 6 }),
    close: fc.boolean(),
  })
  .map(({ framed, decl, trees, gaps, close }) => {
    let text = framed ? '' : (decl ? `<?xml version='1.0'?>` : '') + HEADER;
    const elements: string[] = [];
    const starts: number[] = [];
    trees.forEach((t, i) => {
      text += gaps[i];
      starts.push(text.length);
      const s = toXml(t);
      elements.push(s);
      text += s;
    });
    text += gaps[5];
    const end = text.length;
    if (!framed && close) text += '</stream:stream>';
    return { text, framed, elements, starts, end };
  });

/** Markup and fragments that make up XML, and what breaks it, to be shuffled into soup. */
const TOKENS = [
  '<', '>', '/', '/>', '</', '=', '"', "'", '&', ';', '&amp;', '&lt;', '&#x41;', '&#0;', '&#xD800;', '&#1114112;', '&bogus;', '&#;',
  '<!--', '-->', '<?xml', '?>', "<?xml version='1.0'?>", '<![CDATA[', ']]>', '<!DOCTYPE', '<!ENTITY', '<!', '[',
  'stream:stream', HEADER, '</stream:stream>', 'message', '<message>', '</message>', '<body>', '</body>', '<a/>', 'xmlns', 'xmlns:p', 'p:', ' ', '\n', '\t',
  'a', 'é', '\u{1F600}', '\ud800', '\udc00', '\u0000', '\u0008', '\ufffe', '\uffff', '\u00a0', ':', '-', '.', '1',
];
const soupArb = fc.array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 3 })), { maxLength: 40 }).map((t) => t.join(''));
const anyStringArb = fc.oneof(soupArb, fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 60 }));

const FORBIDDEN: { markup: string; condition: XmlErrorCondition }[] = [
  { markup: '<!-- a comment -->', condition: 'restricted-xml' },
  { markup: '<?php echo 1 ?>', condition: 'restricted-xml' },
  { markup: '<!DOCTYPE stream [ <!ENTITY x "y"> ]>', condition: 'restricted-xml' },
  { markup: "<!ENTITY lol 'lol'>", condition: 'restricted-xml' },
  { markup: '&lol;', condition: 'not-well-formed' },
  { markup: '&#0;', condition: 'not-well-formed' },
  { markup: '<![INCLUDE[ x ]]>', condition: 'not-well-formed' },
];

describe('fuzz: XML stream parser', () => {
  test('arbitrary input in any chunking never throws, and limits hold', () =>
    holds(
      'xml: arbitrary input',
      fc.property(anyStringArb, fc.boolean(), fc.constantFrom(Infinity, 16, 64, 300), fc.boolean(), cutsArb, (text, framed, max, asBytes, cuts) => {
        const input = asBytes ? new TextEncoder().encode(text) : text;
        parseXml(split<string | Uint8Array>(input, cuts), { framed, max });
      }),
      runs(1),
    ));

  test('the same input in any chunking (strings or UTF-8 bytes) gives the same events and error', () =>
    holds(
      'xml: chunking',
      fc.property(fc.oneof(soupArb, docArb.map((d) => d.text)), fc.boolean(), cutsArb, (text, framed, cuts) => {
        const o = { framed, max: Infinity };
        const whole = parseXml([text], o);
        assert.deepEqual(parseXml(split(text, cuts), o), whole);
        const bytes = new TextEncoder().encode(text);
        assert.deepEqual(parseXml(split(bytes, cuts), o), parseXml([bytes], o));
      }),
      runs(1),
    ));

  test('valid elements round-trip: serialize → parse → serialize → parse gives the same tree', () =>
    holds(
      'xml: round trip',
      fc.property(docArb, cutsArb, (doc, cuts) => {
        const r = parseXml(split(doc.text, cuts), { framed: doc.framed, max: Infinity });
        assert.equal(r.error, null, JSON.stringify(r.error));
        const els = r.events.filter((e) => e.startsWith('el ')).map((e) => e.slice(3));
        assert.equal(els.length, doc.elements.length);
        els.forEach((s, i) => {
          // Parsed again on its own, the element is the normalised original (text merged).
          const again: Element[] = [];
          new XmlStreamParser({ streamStart() {}, streamEnd() {}, element: (el) => again.push(el), error: (c, m) => assert.fail(`${c}: ${m}`) }, { framed: true, maxElementBytes: Infinity }).write(s);
          assert.equal(again.length, 1);
          const orig: Element[] = [];
          new XmlStreamParser({ streamStart() {}, streamEnd() {}, element: (el) => orig.push(el), error: (c, m) => assert.fail(`${c}: ${m}`) }, { framed: true, maxElementBytes: Infinity }).write(doc.elements[i]);
          assert.deepEqual(plain(again[0]), plain(orig[0]));
          assert.equal(serialize(again[0]), s);
        });
      }),
      runs(1),
    ));

  test('generated trees parse back to themselves', () =>
    holds(
      'xml: trees',
      fc.property(nsTreeArb, (tree) => {
        const got: Element[] = [];
        new XmlStreamParser({ streamStart() {}, streamEnd() {}, element: (el) => got.push(el), error: (c, m) => assert.fail(`${c}: ${m}`) }, { framed: true, maxElementBytes: Infinity }).write(toXml(tree));
        assert.equal(got.length, 1);
        assert.deepEqual(plain(got[0]), normal(tree));
      }),
      runs(1),
    ));

  test('a truncated stream reports no error and a prefix of the elements', () =>
    holds(
      'xml: truncation',
      fc.property(docArb, fc.nat(), cutsArb, (doc, at, cuts) => {
        const cut = doc.text.slice(0, at % (doc.text.length + 1));
        const full = parseXml([doc.text], { framed: doc.framed, max: Infinity });
        const r = parseXml(split(cut, cuts), { framed: doc.framed, max: Infinity });
        assert.equal(r.error, null, JSON.stringify(r.error));
        assert.deepEqual(r.events, full.events.slice(0, r.events.length));
      }),
      runs(1),
    ));

  test('comments, PIs, DTDs and entities inserted between markup are refused, after a prefix of the elements', () =>
    holds(
      'xml: forbidden markup',
      fc.property(docArb, fc.nat(), fc.constantFrom(...FORBIDDEN), cutsArb, (doc, pick, bad, cuts) => {
        // Every '<' before the stream's end tag starts markup (the serializer escapes the others).
        const points = [...doc.text.slice(0, doc.end).matchAll(/</g)].map((m) => m.index).concat(doc.end);
        const at = points[pick % points.length];
        const text = doc.text.slice(0, at) + bad.markup + doc.text.slice(at);
        const r = parseXml(split(text, cuts), { framed: doc.framed, max: Infinity });
        assert.equal(r.error?.condition, bad.condition, `${bad.markup} at ${at}: ${JSON.stringify(r.error)}`);
        assert.ok(r.error.offset <= at + bad.markup.length, `offset ${r.error.offset}, markup at ${at}`);
        const before = doc.starts.filter((s, i) => s + doc.elements[i].length <= at).length;
        assert.deepEqual(
          r.events.filter((e) => e.startsWith('el ')),
          doc.elements.slice(0, before).map((s) => 'el ' + s),
        );
      }),
      runs(1),
    ));

  test('regression: counterexamples the chunking property found give the same error in every split', () => {
    // '<!E' + 'NTITY x>': the reason named the declaration as far as the first chunk went ('<!E>').
    // ' ' + '-': text outside any element was reported at the whitespace (offset 0) when the
    // two came together, at the '-' (offset 1) when split.
    for (const [text, framed, reason, offset] of [
      ['<!ENTITY x>', false, '<!ENTITY> declaration', 0],
      [' -', false, 'text outside of any element', 1],
      ['\t\n <a/>x', true, 'text outside of any element', 7],
    ] as const) {
      const whole = parseXml([text], { framed, max: Infinity });
      assert.equal(whole.error?.reason, reason);
      assert.equal(whole.error?.offset, offset);
      for (let i = 1; i < text.length; i++) assert.deepEqual(parseXml([text.slice(0, i), text.slice(i)], { framed, max: Infinity }), whole, `split at ${i}`);
    }
  });

  test('regression: a 200 KB token dribbled in 8-character chunks parses in linear time (it took 10 s and more)', () => {
    // Each chunk used to be appended to the unparsed tail and the whole tail scanned again.
    const attrs = Array.from({ length: 12_000 }, (_, i) => ` a${i}='>${i}'`).join('');
    const tokens: Record<string, string> = {
      'a start tag with 12 000 attributes': `<message${attrs}/>`,
      'text': `<message><body>${'x'.repeat(200_000)}</body></message>`,
      'a CDATA section': `<message><body><![CDATA[${']>'.repeat(100_000)}]]></body></message>`,
      'an end tag': `<message></message${' '.repeat(200_000)}>`,
    };
    for (const [what, text] of Object.entries(tokens)) {
      const t0 = performance.now();
      const r = parseXml(split(text, 8), { framed: true, max: 256 * 1024 });
      const ms = performance.now() - t0;
      assert.equal(r.error, null, `${what}: ${JSON.stringify(r.error)}`);
      assert.equal(r.events.length, 1, what);
      assert.ok(ms < 2000, `${what}: ${Math.round(ms)} ms`);
    }
  });

  test('nesting deeper than the limit is a policy-violation; up to it, the element passes', () =>
    holds(
      'xml: depth',
      fc.property(fc.integer({ min: MAX_DEPTH - 8, max: MAX_DEPTH + 8 }), fc.boolean(), cutsArb, (depth, framed, cuts) => {
        const text = (framed ? '' : HEADER) + '<a>'.repeat(depth) + 'x' + '</a>'.repeat(depth);
        const r = parseXml(split(text, cuts), { framed, max: Infinity });
        if (depth <= MAX_DEPTH) {
          assert.equal(r.error, null);
          assert.equal(r.events.filter((e) => e.startsWith('el ')).length, 1);
        } else assert.equal(r.error?.condition, 'policy-violation');
      }),
      runs(4),
    ));

  test('elements over maxElementBytes (many attributes, long text) are refused in any chunking; the others pass', () =>
    holds(
      'xml: size limit',
      fc.property(
        fc.array(
          fc.record({ tree: nsTreeArb, attrs: fc.nat({ max: 400 }), text: fc.nat({ max: 3000 }) }).map(({ tree, attrs, text }) => {
            const many: Record<string, string> = { ...tree.attrs };
            for (let i = 0; i < attrs; i++) many[`a${i}`] = String(i);
            return toXml({ ...tree, attrs: many, children: [...tree.children, 'é'.repeat(text)] });
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer({ min: 300, max: 8000 }),
        fc.boolean(),
        cutsArb,
        (elements, max, framed, cuts) => {
          const text = (framed ? '' : HEADER) + elements.join('\n');
          const r = parseXml(split(text, cuts), { framed, max });
          const fit = elements.findIndex((e) => utf8ByteLength(e) > max);
          const passed = fit === -1 ? elements : elements.slice(0, fit);
          assert.deepEqual(
            r.events.filter((e) => e.startsWith('el ')),
            passed.map((e) => 'el ' + e),
          );
          assert.equal(r.error?.condition, fit === -1 ? undefined : 'policy-violation', JSON.stringify(r.error));
        },
      ),
      runs(4),
    ));
});

// =================================================================== 2. the stanza validator

const localArb = fc.string({ unit: fc.constantFrom('a', 'b', 'z', '0', '9', '.', '-', '_', 'é', 'ü', '中', 'A'), minLength: 1, maxLength: 8 });
const domainArb = fc.constantFrom('localhost', 'example.com', 'bridge.localhost', 'a.b-c.d', 'xn--bcher-kva.example', '[::1]', '127.0.0.1', 'localhost.');
const resourceArb = fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), fc.constantFrom('é', '\u{1F600}')), minLength: 1, maxLength: 10 });
const jidArb = fc.record({ local: fc.option(localArb), domain: domainArb, resource: fc.option(resourceArb) }).map(({ local, domain, resource }) => (local ? `${local}@` : '') + domain + (resource ? `/${resource}` : ''));
/** Addresses RFC 7622 forbids: empty parts, forbidden localpart characters, bad domain labels, parts over 1023 bytes. */
const badJidArb = fc.oneof(
  fc.constantFrom('', '@localhost', 'a@', 'a@localhost/', '/r', 'a@.', 'a@@b', 'a@-x.com', 'a@x-.com', 'a@local host', 'a@[zz]', 'a@b..c', '@', '//'),
  fc.tuple(localArb, fc.constantFrom(' ', '"', '&', "'", ':', '<', '>', '@'), localArb).map(([a, bad, b]) => `${a}${bad}${b}@localhost`),
  fc.constantFrom('a'.repeat(1024) + '@localhost', 'x@' + 'd'.repeat(1024), 'x@localhost/' + 'r'.repeat(1024), 'x@localhost/' + 'é'.repeat(512)),
);

interface GenStanza {
  node: PNode;
  decl: string;
  lead: string;
  trail: string;
}
const stanzaText = (s: GenStanza, node: PNode = s.node) => s.decl + s.lead + toXml(node) + s.trail;

const payloadArb = fc.array(nsTreeArb, { maxLength: 3 });
const commonAttrsArb = fc.record(
  { to: jidArb, from: jidArb, id: fc.string({ unit: charArb, minLength: 1, maxLength: 8 }), xmlns: fc.constantFrom(...STANZA_NAMESPACES), 'xml:lang': fc.constantFrom('en', 'fr-CA') },
  { requiredKeys: [] },
);
const validStanzaArb: fc.Arbitrary<GenStanza> = fc.record({
  node: fc.oneof(
    fc.record({ attrs: commonAttrsArb, type: fc.option(fc.constantFrom(...MESSAGE_TYPES)), children: payloadArb }).map(({ attrs, type, children }): PNode => ({ name: 'message', attrs: { ...attrs, ...(type ? { type } : {}) }, children })),
    fc.record({ attrs: commonAttrsArb, type: fc.option(fc.constantFrom(...PRESENCE_TYPES)), children: payloadArb }).map(({ attrs, type, children }): PNode => ({ name: 'presence', attrs: { ...attrs, ...(type ? { type } : {}) }, children })),
    fc
      .record({ attrs: commonAttrsArb, id: fc.string({ unit: charArb, minLength: 1, maxLength: 8 }), type: fc.constantFrom(...IQ_TYPES), children: payloadArb, ws: fc.boolean() })
      .map(({ attrs, id, type, children, ws }): PNode => {
        // RFC 6120 §8.2.3: get/set exactly one payload, result at most one, error anything.
        const kids = type === 'get' || type === 'set' ? [children[0] ?? { name: 'query', attrs: { xmlns: 'urn:q' }, children: [] }] : type === 'result' ? children.slice(0, 1) : children;
        return { name: 'iq', attrs: { ...attrs, id, type }, children: ws ? ['\n ', ...kids, '\n'] : kids };
      }),
  ),
  decl: fc.constantFrom('', `<?xml version='1.0'?>`, '<?xml version="1.0" encoding="UTF-8"?>'),
  lead: fc.constantFrom('', ' ', '\n\t'),
  trail: fc.constantFrom('', ' ', '\r\n'),
});

type Mutated = { text: string; maxBytes?: number };
interface Mutation {
  what: string;
  condition: StanzaProblemCondition;
  apply(s: GenStanza, pick: number, bad: string): Mutated;
}
const withNode = (s: GenStanza, f: (n: PNode) => PNode): Mutated => ({ text: stanzaText(s, f({ ...s.node, attrs: { ...s.node.attrs } })) });
const asIq = (n: PNode, attrs: Record<string, string>, children: PNode[] = [{ name: 'ping', attrs: { xmlns: 'urn:xmpp:ping' }, children: [] }]): PNode => {
  const { type: _t, id: _i, ...rest } = n.attrs;
  return { name: 'iq', attrs: { ...rest, ...attrs }, children };
};
/** One defect each; the rest of the stanza stays valid, so the validator must name this one. */
const MUTATIONS: Mutation[] = [
  { what: 'root is not a stanza', condition: 'bad-request', apply: (s, p) => withNode(s, (n) => ({ ...n, name: ['mesage', 'Message', 'query', 'body', 'IQ', 'presences'][p % 6] })) },
  { what: 'foreign namespace', condition: 'bad-request', apply: (s, p) => withNode(s, (n) => ({ ...n, attrs: { ...n.attrs, xmlns: ['urn:x', '', 'jabber:iq:roster', 'http://etherx.jabber.org/streams'][p % 4] } })) },
  {
    what: 'type outside the RFC list',
    condition: 'bad-request',
    apply: (s, p) =>
      withNode(s, (n) => {
        const allowed: readonly string[] = n.name === 'iq' ? IQ_TYPES : n.name === 'message' ? MESSAGE_TYPES : PRESENCE_TYPES;
        const pool = ['', 'Chat', 'bogus', 'get', 'chat', 'available', 'normal', 'probe', 'result '].filter((t) => !allowed.includes(t));
        return { ...n, attrs: { ...n.attrs, type: pool[p % pool.length] } };
      }),
  },
  { what: 'iq without type', condition: 'bad-request', apply: (s) => withNode(s, (n) => asIq(n, { id: 'i1' })) },
  { what: 'iq without id', condition: 'bad-request', apply: (s, p) => withNode(s, (n) => asIq(n, { type: IQ_TYPES[p % 4], ...(p % 2 ? { id: '' } : {}) })) },
  {
    what: 'iq get/set without exactly one payload',
    condition: 'bad-request',
    apply: (s, p) => withNode(s, (n) => asIq(n, { id: 'i1', type: p % 2 ? 'get' : 'set' }, p % 3 ? [] : [{ name: 'a', attrs: {}, children: [] }, { name: 'b', attrs: {}, children: [] }])),
  },
  { what: 'iq result with two payloads', condition: 'bad-request', apply: (s) => withNode(s, (n) => asIq(n, { id: 'i1', type: 'result' }, [{ name: 'a', attrs: {}, children: [] }, { name: 'b', attrs: {}, children: [] }])) },
  { what: 'malformed to', condition: 'jid-malformed', apply: (s, _p, bad) => withNode(s, (n) => ({ ...n, attrs: { ...n.attrs, to: bad } })) },
  { what: 'malformed from', condition: 'jid-malformed', apply: (s, _p, bad) => withNode(s, (n) => ({ ...n, attrs: { ...n.attrs, from: bad } })) },
  {
    what: 'comment, PI, DTD or undeclared entity between markup',
    condition: 'xml-invalid',
    apply: (s, p) => {
      const text = stanzaText(s);
      const points = [...text.matchAll(/</g)].map((m) => m.index).filter((i) => i >= s.decl.length);
      const at = points[p % points.length];
      const bad = FORBIDDEN[p % FORBIDDEN.length].markup;
      return { text: text.slice(0, at) + bad + text.slice(at) };
    },
  },
  {
    what: 'truncated',
    condition: 'xml-invalid',
    apply: (s, p) => {
      const end = s.decl.length + s.lead.length + toXml(s.node).length;
      return { text: stanzaText(s).slice(0, p % end) };
    },
  },
  { what: 'a second root', condition: 'xml-invalid', apply: (s) => ({ text: stanzaText(s) + '<message/>' }) },
  { what: 'a stray end tag', condition: 'xml-invalid', apply: (s) => ({ text: stanzaText(s) + '</message>' }) },
  { what: 'a character XML forbids', condition: 'xml-invalid', apply: (s, p) => withNode(s, (n) => ({ ...n, attrs: { ...n.attrs, id: ['a\u0001', '\u0000', 'x\ufffe', '\u001b[0m'][p % 4] } })) },
  { what: 'an undeclared prefix', condition: 'xml-invalid', apply: (s) => withNode(s, (n) => ({ ...n, children: [...n.children, { name: 'p:x', attrs: {}, children: [] }] })) },
  {
    what: 'larger than maxBytes',
    condition: 'policy-violation',
    apply: (s, p) => {
      const text = stanzaText(s);
      return { text, maxBytes: Math.max(0, utf8ByteLength(text) - 1 - (p % 50)) };
    },
  },
];

const CONDITIONS: readonly StanzaProblemCondition[] = ['xml-invalid', 'bad-request', 'jid-malformed', 'policy-violation'];

describe('fuzz: stanza validator', () => {
  test('never throws; a refusal always has a condition and a message', () =>
    holds(
      'validator: arbitrary input',
      fc.property(
        fc.oneof(anyStringArb, fc.tuple(validStanzaArb, soupArb, fc.nat()).map(([s, soup, at]) => { const t = stanzaText(s); const i = at % (t.length + 1); return t.slice(0, i) + soup + t.slice(i); })),
        fc.option(fc.nat({ max: 200 })),
        (text, maxBytes) => {
          const r = validateStanza(text, maxBytes === null ? {} : { maxBytes });
          if (r.ok) assert.ok(['message', 'presence', 'iq'].includes(r.element.name));
          else {
            assert.ok(CONDITIONS.includes(r.condition), r.condition);
            assert.ok(r.message.length > 0);
            if (r.line !== undefined) assert.ok(r.line >= 1 && r.column !== undefined && r.column >= 1);
          }
        },
      ),
      runs(1),
    ));

  test('generated valid stanzas are accepted as themselves', () =>
    holds(
      'validator: valid stanzas',
      fc.property(validStanzaArb, (s) => {
        const r = validateStanza(stanzaText(s));
        assert.ok(r.ok, r.ok ? '' : r.message);
        assert.deepEqual(plain(r.element), normal(s.node));
      }),
      runs(1),
    ));

  test('one defect from a known-bad class is refused with its condition and a message', () =>
    holds(
      'validator: single mutations',
      fc.property(validStanzaArb, fc.constantFrom(...MUTATIONS), fc.nat(), badJidArb, (s, m, pick, bad) => {
        const { text, maxBytes } = m.apply(s, pick, bad);
        const r = validateStanza(text, maxBytes === undefined ? {} : { maxBytes });
        assert.ok(!r.ok, `${m.what}: accepted ${JSON.stringify(text)}`);
        assert.equal(r.condition, m.condition, `${m.what}: ${r.message}`);
        assert.ok(r.message.length > 0);
      }),
      runs(1),
    ));
});

// =================================================================== 3. the RESP request parser

interface RespRun {
  commands: string[][];
  error: string | null;
  partial: boolean;
  offset: number;
}
/** The parser's private buffers (read to check memory stays bounded by its limits). */
interface ParserState {
  buf: Buffer | null;
  chunkBytes: number;
  argBytes: number;
  args: string[];
}

/**
 * Feeds `chunks` until a ProtocolError (the documented error path: the connection replies -ERR
 * and closes); any other exception fails the property. After each chunk, what the parser holds
 * (unparsed bytes, gathered bulk chunks, arguments of the command being read) stays within
 * maxQueryBuffer (one chunk of slack while a bulk body is gathered).
 */
function feedResp(chunks: Buffer[], limits: ParserLimits = DEFAULT_LIMITS): RespRun {
  const p = new RequestParser(limits);
  const commands: string[][] = [];
  for (const c of chunks) {
    try {
      p.feed(c, commands);
    } catch (e) {
      if (e instanceof ProtocolError) return { commands, error: e.message, partial: false, offset: -1 };
      throw e;
    }
    const st = p as unknown as ParserState;
    const held = (st.buf?.length ?? 0) + st.chunkBytes + st.argBytes;
    assert.ok(held <= limits.maxQueryBuffer, `parser holds ${held} bytes, limit ${limits.maxQueryBuffer}`);
    assert.ok(st.args.length * 4 <= st.argBytes, `${st.args.length} arguments in ${st.argBytes} bytes`);
  }
  return { commands, error: null, partial: p.hasPartial, offset: p.completeOffset };
}

const latin1Arb = fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), fc.constantFrom('\r\n', '\r', '\n', ' ', '"', "'", '\\')), maxLength: 12 });
const encodeCommand = (argv: string[]) => `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('');
const commandArb = fc.array(latin1Arb, { minLength: 1, maxLength: 5 });
const inlineArb = fc
  .array(fc.oneof(fc.stringMatching(/^[A-Za-z0-9:_-]{1,8}$/), fc.stringMatching(/^[a-z ]{0,6}$/).map((w) => `"${w}"`), fc.stringMatching(/^[a-z ]{0,6}$/).map((w) => `'${w}'`)), { minLength: 1, maxLength: 4 })
  .map((ws) => ws.join(' '));
/** Frames a client may send, RESP3 reply types in request position among them, and broken ones. */
const frameArb = fc.oneof(
  commandArb.map(encodeCommand),
  inlineArb.map((l) => l + '\r\n'),
  fc.constantFrom(
    '%1\r\n+a\r\n:1\r\n', '~2\r\n$1\r\na\r\n:2\r\n', '#t\r\n', ',1.5\r\n', '(12345678901234567890\r\n', '=15\r\ntxt:Some string\r\n', '_\r\n', '>2\r\n+x\r\n+y\r\n',
    '|1\r\n+k\r\n+v\r\n', '!3\r\nerr\r\n', '*2\r\n*1\r\n$1\r\na\r\n$1\r\nb\r\n', '*1\r\n:1\r\n', '*-1\r\n', '*0\r\n', '$-1\r\n', '*1\r\n$-1\r\n', '*x\r\n', '*01\r\n',
    '*1\r\n$01\r\na\r\n', '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n', '\r\n', '\n', '"unterminated\r\n', `*1\r\n$${2 ** 40}\r\n`, `*${2 ** 31}\r\n`, '*1\r\n$3\r\nabcXY', '*1\r\n$1\r\n',
  ),
  fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b).toString('latin1')),
);
const wireArb = fc.array(frameArb, { maxLength: 8 }).map((f) => Buffer.from(f.join(''), 'latin1'));
const SMALL_LIMITS: ParserLimits = { maxQueryBuffer: 96, maxBulkLen: 40, maxInline: 24 };
const limitsArb = fc.constantFrom(DEFAULT_LIMITS, SMALL_LIMITS, { maxQueryBuffer: 4096, maxBulkLen: 4096, maxInline: 64 });

describe('fuzz: RESP request parser', () => {
  test('arbitrary bytes and frames in any chunking: only ProtocolError, memory within the limits', () =>
    holds(
      'resp: arbitrary input',
      fc.property(fc.oneof(wireArb, fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b))), limitsArb, cutsArb, (wire, limits, cuts) => {
        feedResp(split(wire, cuts), limits);
      }),
      runs(1),
    ));

  test('the same bytes in any chunking give the same commands, error and complete offset', () =>
    holds(
      'resp: chunking',
      fc.property(wireArb, limitsArb, cutsArb, (wire, limits, cuts) => {
        assert.deepEqual(feedResp(split(wire, cuts), limits), feedResp([wire], limits));
      }),
      runs(1),
    ));

  test('well-formed commands (multibulk and inline) come back as sent, in any chunking', () =>
    holds(
      'resp: round trip',
      fc.property(fc.array(fc.oneof(commandArb.map((argv) => ({ argv, wire: encodeCommand(argv) }))), { maxLength: 8 }), cutsArb, (cmds, cuts) => {
        const wire = Buffer.from(cmds.map((c) => c.wire).join(''), 'latin1');
        const r = feedResp(split(wire, cuts));
        assert.deepEqual(r, { commands: cmds.map((c) => c.argv), error: null, partial: false, offset: wire.length });
      }),
      runs(1),
    ));

  test('declared lengths beyond the limits are refused at once, without allocating them', () =>
    holds(
      'resp: huge lengths',
      fc.property(fc.oneof(fc.integer({ min: 64 * 1024 * 1024 + 1, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(2 ** 40, 2 ** 53, 2 ** 31)), cutsArb, (n, cuts) => {
        const before = process.memoryUsage().arrayBuffers;
        const r = feedResp(split(Buffer.from(`*2\r\n$3\r\nGET\r\n$${n}\r\n` + 'x'.repeat(100), 'latin1'), cuts));
        assert.equal(r.error, 'Protocol error: invalid bulk length');
        assert.deepEqual(r.commands, []);
        assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, 'no buffer of the declared size');
      }),
      runs(4),
    ));

  test('nested arrays are refused at the first nested header, however deep', () =>
    holds(
      'resp: nesting',
      fc.property(fc.integer({ min: 2, max: 10_000 }), cutsArb, (depth, cuts) => {
        const r = feedResp(split(Buffer.from('*1\r\n'.repeat(depth) + '$1\r\na\r\n'), cuts));
        assert.equal(r.error, "Protocol error: expected '$', got '*'");
      }),
      runs(4),
    ));

  test('regression: a 2^40-byte bulk allowed by the limits (the AOF loader) is gathered as it arrives, never allocated up front', () => {
    const p = new RequestParser({ maxQueryBuffer: Infinity, maxBulkLen: 2 ** 40, maxInline: Infinity });
    const before = process.memoryUsage().arrayBuffers;
    const out: string[][] = [];
    p.feed(Buffer.from(`*1\r\n$${2 ** 40}\r\n`), out);
    for (let i = 0; i < 16; i++) p.feed(Buffer.alloc(64 * 1024, 0x61), out);
    assert.deepEqual(out, []);
    assert.equal(p.hasPartial, true);
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024);
  });

  test('regression: empty arguments count towards the query buffer limit (a billion of them used to fit in 64 MB)', () => {
    // `*2147483647` then `$0\r\n\r\n` forever: the argument vector grew without bound while the
    // query-buffer accounting saw 0 bytes, until the process ran out of heap.
    const limits: ParserLimits = { ...DEFAULT_LIMITS, maxQueryBuffer: 64 * 1024 };
    const r = feedResp([Buffer.from(`*${2 ** 31 - 1}\r\n`), ...Array.from({ length: 20 }, () => Buffer.from('$0\r\n\r\n'.repeat(1000)))], limits);
    assert.equal(r.error, 'Protocol error: query buffer limit exceeded');
  });

  test('regression: an inline request or count line over maxInline is refused whether or not its newline came in the same chunk', () => {
    const limits: ParserLimits = { ...DEFAULT_LIMITS, maxInline: 16 };
    for (const [wire, error] of [
      ['PING ' + 'a'.repeat(20) + '\r\n', 'Protocol error: too big inline request'],
      ['*' + '1'.repeat(20) + '\r\n', 'Protocol error: too big mbulk count string'],
      ['*1\r\n$' + '0'.repeat(20) + '\r\n', 'Protocol error: too big bulk count string'],
    ]) {
      const whole = feedResp([Buffer.from(wire)], limits);
      assert.equal(whole.error, error, wire);
      for (let i = 1; i < wire.length; i++) assert.deepEqual(feedResp([Buffer.from(wire.slice(0, i)), Buffer.from(wire.slice(i))], limits), whole, `${wire} split at ${i}`);
    }
  });
});

// =================================================================== 4. session manager and router

/**
 * A c2s session on a raw socket (RFC 6120: SASL PLAIN, bind; no stream management), so any
 * text can be sent, garbage addresses included (@xmpp/client refuses to send those). It
 * records every stanza it receives and answers iq requests as every client must (§8.2.3).
 */
class RawSession {
  /** Stanzas received after binding, in order. */
  readonly inbox: Element[] = [];
  jid = '';
  closed = false;
  private readonly nonzas: Element[] = [];
  private readonly parser: XmlStreamParser;

  private constructor(private readonly socket: Socket) {
    this.parser = new XmlStreamParser(
      {
        streamStart: () => {},
        element: (el) => this.received(el),
        streamEnd: () => socket.end(),
        error: () => socket.destroy(),
      },
      { framed: false, maxElementBytes: 1 << 20 },
    );
    socket.on('data', (d: Buffer) => this.parser.write(d));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static async open(port: number, user: string, resource: string): Promise<RawSession> {
    const socket = createConnection({ port, host: '127.0.0.1' });
    await once(socket, 'connect');
    const s = new RawSession(socket);
    s.header();
    await s.nonza((e) => e.name === 'stream:features');
    s.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0sandbox`).toString('base64')}</auth>`);
    assert.equal((await s.nonza((e) => e.name === 'success' || e.name === 'failure')).name, 'success');
    s.parser.reset(); // RFC 6120 §6.4.6: a new stream after SASL
    s.header();
    await s.nonza((e) => e.name === 'stream:features');
    s.send(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    s.jid = (await s.nonza((e) => e.name === 'iq' && e.attrs.id === 'bind')).getChild('bind')?.getChildText('jid') ?? '';
    assert.ok(s.jid, `${user}/${resource} bound`);
    return s;
  }

  private header(): void {
    this.send(`<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
  }

  private received(el: Element): void {
    if (!this.jid) {
      this.nonzas.push(el);
      return;
    }
    if (el.name !== 'message' && el.name !== 'presence' && el.name !== 'iq') return;
    this.inbox.push(el);
    const t = el.attrs.type;
    if (el.name === 'iq' && t !== 'result' && t !== 'error') {
      const err = xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }));
      this.send(serialize(xml('iq', { type: 'error', id: el.attrs.id, ...(el.attrs.from ? { to: el.attrs.from } : {}) }, err)));
    }
  }

  private async nonza(pred: (e: Element) => boolean): Promise<Element> {
    for (const deadline = Date.now() + 3000; Date.now() < deadline; await sleep(2)) {
      const i = this.nonzas.findIndex(pred);
      if (i >= 0) return this.nonzas.splice(i, 1)[0];
      if (this.closed) break;
    }
    throw new Error(`no expected element from the server (${this.nonzas.map(String).join(' ')})`);
  }

  send(text: string): void {
    if (!this.closed && !this.socket.writableEnded) this.socket.write(text);
  }

  /** Resolves with the first received stanza matching `pred` (up to 3 s). */
  async next(pred: (st: Element) => boolean): Promise<Element> {
    for (const deadline = Date.now() + 3000; Date.now() < deadline; await sleep(5)) {
      const hit = this.inbox.find(pred);
      if (hit) return hit;
      if (this.closed) break;
    }
    throw new Error(`${this.jid}: no matching stanza within 3 s`);
  }

  /** A ping round trip: what this session sent before has been processed. */
  async sync(id: string): Promise<void> {
    this.send(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await this.next((s) => s.attrs.id === id).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.send('</stream:stream>');
      this.socket.end();
      await Promise.race([once(this.socket, 'close'), sleep(2000)]);
    }
    this.socket.destroy();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The sessions of the router fuzz: two resources of one user and one of another (and nobody@localhost, never online). */
const SLOTS = [
  { user: 'alice', resource: 'a' },
  { user: 'alice', resource: 'b' },
  { user: 'bob', resource: 'c' },
] as const;
/** Every generated stanza carries this attribute; the server's own replies and a client's iq answers do not. */
const MARK = 'fz:m';
const isMarked = (el: Element) => el.attrs[MARK] !== undefined;

const targetArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('alice@localhost', 'alice@localhost/a', 'alice@localhost/b', 'bob@localhost', 'bob@localhost/c', 'localhost', 'nobody@localhost', 'alice@localhost/gone', 'other.example', 'ALICE@LOCALHOST/a', 'localhost/x') },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: jidArb },
  { weight: 2, arbitrary: badJidArb.filter((j) => j.length < 300) },
);
const payloadElArb = fc.oneof(
  fc.constantFrom(
    xml('ping', { xmlns: 'urn:xmpp:ping' }),
    xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
    xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }),
    xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'http://jabber.org/protocol/offline' }),
    xml('query', { xmlns: 'jabber:iq:version' }),
    xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: 'bob@localhost' })),
    xml('offline', { xmlns: 'http://jabber.org/protocol/offline' }, xml('fetch')),
    xml('offline', { xmlns: 'http://jabber.org/protocol/offline' }, xml('purge')),
    xml('session', { xmlns: 'urn:ietf:params:xml:ns:xmpp-session' }),
    xml('bind', { xmlns: 'urn:ietf:params:xml:ns:xmpp-bind' }, xml('resource', {}, 'again')),
  ),
  textArb.map((t) => xml('body', {}, t)),
  fc.oneof(fc.integer({ min: -300, max: 300 }).map(String), fc.constantFrom('', 'high', '1e3', ' 5 ', '-0')).map((t) => xml('priority', {}, t)),
  fc.constantFrom('away', 'chat', 'dnd', 'xa', 'bogus').map((t) => xml('show', {}, t)),
  nsTreeArb.map(toElement),
);
interface SendSpec {
  /** The session that sends it. */
  from: number;
  kind: 'message' | 'presence' | 'iq';
  type: string | undefined;
  to: string | undefined;
  /** A `from` attribute the client claims (the server stamps its own: RFC 6120 §8.1.2.1). */
  claimed: string | undefined;
  payload: Element[];
}
const sendArb: fc.Arbitrary<SendSpec> = fc.record({
  from: fc.nat({ max: SLOTS.length - 1 }),
  kind: fc.constantFrom('message', 'presence', 'iq'),
  type: fc.option(fc.constantFrom(...new Set<string>([...MESSAGE_TYPES, ...PRESENCE_TYPES, ...IQ_TYPES, 'bogus', 'available'])), { nil: undefined }),
  to: targetArb,
  claimed: fc.option(fc.oneof(fc.constantFrom('alice@localhost/a', 'bob@localhost/c', 'localhost'), badJidArb.filter((j) => j.length < 300)), { nil: undefined, freq: 4 }),
  payload: fc.array(payloadElArb, { maxLength: 2 }),
});
/** Send a stanza; close and reopen a session (presence cleanup, re-binding); or open a throwaway session and write anything on it. */
type Action = { send: SendSpec } | { reconnect: number } | { garbage: string };
const actionsArb: fc.Arbitrary<Action[]> = fc.array(
  fc.oneof(
    { weight: 12, arbitrary: sendArb.map((send) => ({ send })) },
    { weight: 1, arbitrary: fc.nat({ max: SLOTS.length - 1 }).map((reconnect) => ({ reconnect })) },
    { weight: 1, arbitrary: fc.oneof(soupArb, docArb.map((d) => (d.framed ? d.text : d.text.slice(HEADER.length)))).map((garbage) => ({ garbage })) },
  ),
  { minLength: 1, maxLength: 16 },
);

function stanzaXml(spec: SendSpec, id: string): string {
  const attrs: Record<string, string> = { id, 'xmlns:fz': 'urn:example:fuzz', [MARK]: '1' };
  if (spec.type !== undefined) attrs.type = spec.type;
  if (spec.to !== undefined) attrs.to = spec.to;
  if (spec.claimed !== undefined) attrs.from = spec.claimed;
  const children = [...spec.payload];
  if (spec.type === 'error') children.push(xml('error', { type: 'cancel' }, xml('undefined-condition', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })));
  return serialize(xml(spec.kind, attrs, ...children));
}

describe('fuzz: session manager and router over real c2s connections', () => {
  let sandbox: Sandbox;
  let dataDir: string;
  let port = 0;
  let router: RouterView | null = null;
  const problems: string[] = [];
  const slots: (RawSession | null)[] = SLOTS.map(() => null);
  const open = (i: number) => RawSession.open(port, SLOTS[i].user, SLOTS[i].resource);
  let syncs = 0;
  /** Two ping round trips per session: what each sent is processed, and what that triggered (a peer's iq answer) too. */
  async function settle(): Promise<void> {
    for (let round = 0; round < 2; round++) {
      for (const s of slots) if (s && !s.closed) await s.sync(`sync-${++syncs}`);
      await sleep(10);
    }
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fuzz-router-'));
    const logs = new LogHub('warn');
    // An internal error, a plugin that threw or a failed pipeline is a crash the process survived.
    logs.addSink((level, m) => {
      if (level === 'error' || /threw|internal error|pipeline failed/.test(m)) problems.push(`${level} ${m}`);
    });
    sandbox = createSandbox(
      { dataDir, host: '127.0.0.1', xmpp: { c2sPort: 0, wsPort: -1, componentPort: -1 }, queue: { enabled: false }, bridge: { enabled: false }, trace: { enabled: true, bufferSize: 10_000 } },
      { logs },
    );
    port = Number(new URL((await sandbox.start()).c2s).port);
    // A plugin sees the router through the same read-only view the built-ins get.
    sandbox.xmpp.addPlugin({ id: 'fuzz-probe', preProcess: (_p, ctx) => ((router = ctx.router), false) });
    for (let i = 0; i < SLOTS.length; i++) slots[i] = await open(i);
  });

  after(async () => {
    for (const s of slots) await s?.close();
    await sandbox?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  let run = 0;
  /** Over all runs: the properties below were not vacuous. */
  const seen = { replies: 0, deliveries: 0 };
  test('generated stanzas from several sessions: each gets at most the replies the RFCs allow, never an error to an error', async () => {
    await holds(
      'router: stanza sequences',
      fc.asyncProperty(actionsArb, async (actions) => {
        run++;
        for (let i = 0; i < slots.length; i++) {
          if (!slots[i] || slots[i]!.closed) slots[i] = await open(i);
          slots[i]!.inbox.length = 0;
          slots[i]!.send(`<presence><priority>${i}</priority></presence>`);
        }
        const sent = new Map<string, { slot: number; spec: SendSpec; text: string }>();
        let changed = false;
        for (const a of actions) {
          if ('reconnect' in a) {
            changed = true;
            await slots[a.reconnect]?.close();
            slots[a.reconnect] = await open(a.reconnect);
          } else if ('garbage' in a) {
            // Whatever a client writes, its own stream ends at worst; the others go on.
            const g = await RawSession.open(port, 'mallory', 'g');
            g.send(a.garbage);
            await g.sync(`sync-${++syncs}`);
            await g.close();
          } else {
            const id = `fz${run}-${sent.size}`;
            const text = stanzaXml(a.send, id);
            sent.set(id, { slot: a.send.from, spec: a.send, text });
            slots[a.send.from]!.send(text);
          }
        }
        await settle();
        const repliesTo = (id: string, slot: number) => (slots[slot]?.inbox ?? []).filter((r) => r.attrs.id === id && !isMarked(r) && (r.attrs.type === 'error' || r.attrs.type === 'result'));
        // Every iq get/set is answered (RFC 6120 §8.2.3), by the server or by the client it was
        // delivered to, once sessions did not change under it: wait for late answers.
        const requests = [...sent].filter(([, s]) => s.spec.kind === 'iq' && (s.spec.type === 'get' || s.spec.type === 'set'));
        for (const deadline = Date.now() + 3000; !changed && Date.now() < deadline && requests.some(([id, s]) => repliesTo(id, s.slot).length === 0); ) await sleep(10);
        for (const c of slots) for (const r of c?.inbox ?? []) if (r.attrs.id !== undefined && sent.has(r.attrs.id)) seen[isMarked(r) ? 'deliveries' : 'replies']++;
        for (const [id, s] of sent) {
          const replies = repliesTo(id, s.slot);
          const what = `${s.text} from ${SLOTS[s.slot].user}/${SLOTS[s.slot].resource} got ${replies.length}: ${replies.map(String).join(' ')}`;
          // RFC 6120 §8.3.1: no error in answer to an error; an iq result is not answered either.
          if (s.spec.type === 'error' || (s.spec.kind === 'iq' && s.spec.type === 'result')) assert.equal(replies.length, 0, what);
          else assert.ok(replies.length <= 1, what);
          if (!changed && s.spec.kind === 'iq' && (s.spec.type === 'get' || s.spec.type === 'set')) assert.equal(replies.length, 1, what);
          for (const r of replies) assert.equal(r.name, s.spec.kind, what);
        }
        // A reply goes to the sender only.
        slots.forEach((c, i) => {
          for (const r of c?.inbox ?? []) {
            const s = r.attrs.id === undefined ? undefined : sent.get(r.attrs.id);
            if (s && s.slot !== i && !isMarked(r) && (r.attrs.type === 'error' || r.attrs.type === 'result')) assert.fail(`${String(r)} reached ${SLOTS[i].user}/${SLOTS[i].resource}, not the sender of ${s.text}`);
          }
        });
        assert.deepEqual(problems, []);
      }),
      runs(2, 3),
    );
    assert.ok(seen.replies > 0 && seen.deliveries > 0, `replies and deliveries were seen: ${JSON.stringify(seen)}`);
  });

  test('regression: refused stanzas get one answer at most, and none to an iq result or error (RFC 6120 §8.2.3, §8.3.1)', async () => {
    // The property's counterexamples: an iq result with a malformed address was answered with
    // jid-malformed; an iq get with two payloads to the server got two results (disco#items
    // and version each answered it).
    const a = slots[0] ?? (slots[0] = await open(0));
    a.inbox.length = 0;
    a.send(`<iq type='result' id='r-bad-to' to='a@local host'/><iq type='error' id='e-bad-to' to='@'/>`);
    a.send(`<iq type='get' id='g-bad-to' to='a@local host'><ping xmlns='urn:xmpp:ping'/></iq>`);
    a.send(`<iq type='get' id='two' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/><query xmlns='jabber:iq:version'/></iq>`);
    a.send(`<iq type='set' id='none' to='localhost'/>`);
    await settle();
    const answers = (id: string) => a.inbox.filter((s) => s.attrs.id === id).map((s) => s.getChild('error')?.getChildElements()[0]?.name ?? s.attrs.type);
    assert.deepEqual(answers('r-bad-to'), []);
    assert.deepEqual(answers('e-bad-to'), []);
    assert.deepEqual(answers('g-bad-to'), ['jid-malformed']);
    assert.deepEqual(answers('two'), ['bad-request']);
    assert.deepEqual(answers('none'), ['bad-request']);
  });

  test('the server survived: no internal error, and fresh @xmpp/client sessions still log in and exchange a message', async () => {
    assert.deepEqual(problems, []);
    const clients: Client[] = [];
    try {
      const service = `xmpp://127.0.0.1:${port}`;
      const x = await startXmppClient({ service, domain: 'localhost', username: 'fresh-x', password: 'sandbox', resource: 'r', timeoutMs: 3000, clients });
      const y = await startXmppClient({ service, domain: 'localhost', username: 'fresh-y', password: 'sandbox', resource: 'r', timeoutMs: 3000, clients });
      await x.c.send(xml('message', { to: y.jid, type: 'chat' }, xml('body', {}, 'still alive')));
      assert.equal((await y.next((s) => s.getChildText('body') === 'still alive')).attrs.from, x.jid);
    } finally {
      for (const c of clients) await stopClient(c);
    }
  });

  test('once every session closed, the router holds no resource, bare JID or component, and no plugin queue', async () => {
    for (let i = 0; i < slots.length; i++) {
      await slots[i]?.close();
      slots[i] = null;
    }
    for (const deadline = Date.now() + 5000; Date.now() < deadline && sandbox.xmpp.listSessions().length > 0; ) await sleep(20);
    assert.deepEqual(sandbox.xmpp.listSessions(), []);
    assert.ok(router, 'the probe plugin saw the router');
    const view: RouterView = router;
    assert.deepEqual([...view.bareJids()], []);
    for (const s of [...SLOTS, { user: 'mallory' }, { user: 'fresh-x' }]) assert.deepEqual(view.resources(`${s.user}@localhost`), []);
    assert.deepEqual([...view.components()], []);
    for (const p of sandbox.xmpp.listPlugins()) assert.equal(p.queued ?? 0, 0, `plugin ${p.id} still has queued packets`);
    assert.deepEqual(problems, []);
  });
});
