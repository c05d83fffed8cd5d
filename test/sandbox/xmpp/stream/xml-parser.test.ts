// Unit tests for the restricted streaming XML parser (sandbox/xmpp/xml/parser.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import { XmlStreamParser, type XmlErrorCondition } from '../../../../sandbox/xmpp/xml/parser';
import { serialize, serializeTop } from '../../../../sandbox/xmpp/xml/serialize';

interface Run {
  root: Element | null;
  elements: Element[];
  ended: boolean;
  error: { condition: XmlErrorCondition; reason: string } | null;
  parser: XmlStreamParser;
}

function run(chunks: (string | Buffer)[], opts: { framed?: boolean; max?: number } = {}): Run {
  const r: Run = { root: null, elements: [], ended: false, error: null, parser: null as unknown as XmlStreamParser };
  r.parser = new XmlStreamParser(
    {
      streamStart: (root) => (r.root = root),
      element: (el) => r.elements.push(el),
      streamEnd: () => (r.ended = true),
      error: (condition, reason) => {
        assert.equal(r.error, null, 'error reported twice');
        r.error = { condition, reason };
      },
    },
    { framed: opts.framed ?? false, maxElementBytes: opts.max ?? 10_000 },
  );
  for (const c of chunks) r.parser.write(c);
  return r;
}

const HEADER = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream="http://etherx.jabber.org/streams" to='localhost' version='1.0'>`;
const STANZA = `<message to="bob@localhost" type='chat' id="m&amp;1"><body>h&#233;llo &lt;b&gt; &quot;q&quot; &apos;a&apos; &#x1F600; caf\u00e9 \u{1F600}</body><x xmlns='urn:x'><y a="1"/></x></message>`;
const INPUT = HEADER + ' \n' + STANZA + '<presence/>' + '</stream:stream>';

function check(r: Run): void {
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.root?.name, 'stream:stream');
  assert.equal(r.root?.attrs.xmlns, 'jabber:client');
  assert.equal(r.root?.attrs['xmlns:stream'], 'http://etherx.jabber.org/streams');
  assert.equal(r.elements.length, 2);
  const m = r.elements[0];
  assert.equal(m.name, 'message');
  assert.equal(m.attrs.type, 'chat');
  assert.equal(m.attrs.id, 'm&1');
  assert.equal(m.getNS(), 'jabber:client', 'stanza inherits the stream default namespace');
  assert.equal(m.getChildText('body'), 'h\u00e9llo <b> "q" \'a\' \u{1F600} caf\u00e9 \u{1F600}');
  assert.equal(m.getChild('x', 'urn:x')?.getChild('y')?.attrs.a, '1');
  assert.equal(r.elements[1].name, 'presence');
  assert.equal(r.ended, true);
}

test('parses a stream in one chunk', () => {
  check(run([INPUT]));
});

test('chunk boundaries anywhere give the same result (string chunks)', () => {
  for (let i = 1; i < INPUT.length; i++) check(run([INPUT.slice(0, i), INPUT.slice(i)]));
});

test('multibyte UTF-8 split across Buffer chunks at every byte', () => {
  const bytes = Buffer.from(INPUT, 'utf8');
  for (let i = 1; i < bytes.length; i++) check(run([bytes.subarray(0, i), bytes.subarray(i)]));
  // and byte by byte
  check(run([...bytes].map((b) => Buffer.from([b]))));
});

test('CDATA sections become text', () => {
  const r = run([HEADER, '<message><body><![CDATA[a<b>&c]]>!</body></message>']);
  assert.equal(r.error, null);
  assert.equal(r.elements[0].getChildText('body'), 'a<b>&c!');
});

test('prefixed names resolve through declarations (stream:features, stream:error)', () => {
  const r = run([`<stream:features xmlns:stream='http://etherx.jabber.org/streams'><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></stream:features>`], { framed: true });
  assert.equal(r.error, null);
  assert.equal(r.elements[0].name, 'stream:features');
  assert.equal(r.elements[0].getNS(), 'http://etherx.jabber.org/streams');
  assert.equal(r.elements[0].is('features', 'http://etherx.jabber.org/streams'), true);
  const e = run([HEADER, "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"]);
  assert.equal(e.error, null);
  assert.equal(e.elements[0].getNS(), 'http://etherx.jabber.org/streams');
  assert.equal(e.elements[0].getChild('conflict')?.getNS(), 'urn:ietf:params:xml:ns:xmpp-streams');
});

test('framed mode: each top-level element is emitted', () => {
  const r = run([`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="localhost" version="1.0"/>`, `<message xmlns="jabber:client"><body>x</body></message>`, `<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>`], { framed: true });
  assert.equal(r.error, null);
  assert.deepEqual(r.elements.map((e) => e.name), ['open', 'message', 'close']);
});

test('reset() restarts the stream (RFC 6120 §4.3.3) mid-buffer', () => {
  let p: XmlStreamParser;
  const names: string[] = [];
  let starts = 0;
  p = new XmlStreamParser(
    {
      streamStart: () => starts++,
      element: (el) => {
        names.push(el.name);
        if (el.name === 'auth') p.reset();
      },
      streamEnd: () => {},
      error: (c, r) => assert.fail(`${c}: ${r}`),
    },
    { framed: false, maxElementBytes: 1000 },
  );
  p.write(HEADER + '<auth/>' + HEADER + '<iq/>');
  assert.equal(starts, 2);
  assert.deepEqual(names, ['auth', 'iq']);
});

const RESTRICTED: [string, string][] = [
  ['DOCTYPE', `<!DOCTYPE foo [<!ENTITY x "y">]>`],
  ['comment', `<!-- hello -->`],
  ['processing instruction', `<?php echo 1; ?>`],
  ['entity declaration', `<!ENTITY x "boom">`],
  ['comment inside a stanza', `<message><!-- x --></message>`],
  ['PI inside a stanza', `<message><?foo bar?></message>`],
];
for (const [what, xml] of RESTRICTED) {
  test(`restricted-xml: ${what}`, () => {
    const r = run([HEADER, xml, '<presence/>']);
    assert.equal(r.error?.condition, 'restricted-xml', JSON.stringify(r.error));
    assert.equal(r.elements.length, 0, 'nothing after the error is emitted');
  });
}

test('restricted-xml: DOCTYPE before the stream header', () => {
  const r = run([`<?xml version='1.0'?><!DOCTYPE stream:stream>` + HEADER]);
  assert.equal(r.error?.condition, 'restricted-xml');
  assert.equal(r.root, null);
});

const MALFORMED: [string, string][] = [
  ['undeclared entity', `<message><body>&foo;</body></message>`],
  ['bare ampersand', `<message><body>a & b</body></message>`],
  ['mismatched end tag', `<message><body>x</bod></message>`],
  ['unquoted attribute', `<message to=bob/>`],
  ['duplicate attribute', `<message to='a' to='b'/>`],
  ['< in attribute', `<message to='a<b'/>`],
  ['bad name', `<1message/>`],
  ['illegal character', `<message><body>\u0001</body></message>`],
  ['illegal char ref', `<message><body>&#0;</body></message>`],
  ['undeclared prefix', `<foo:message/>`],
  ['text between stanzas', `hello<message/>`],
  ['stray end tag', `</message>`],
  ['entity in attribute', `<message to='&ext;'/>`],
];
for (const [what, xml] of MALFORMED) {
  test(`not-well-formed: ${what}`, () => {
    const r = run([HEADER, xml]);
    assert.equal(r.error?.condition, 'not-well-formed', `${what}: ${JSON.stringify(r.error)}`);
    assert.equal(r.elements.length, 0);
  });
}

test('policy-violation: an element over the limit, complete in one chunk', () => {
  const body = 'x'.repeat(2000);
  const r = run([HEADER, `<message><body>${body}</body></message>`], { max: 1000 });
  assert.equal(r.error?.condition, 'policy-violation');
  assert.equal(r.elements.length, 0);
});

test('policy-violation: an element streaming in without end is cut off once over the limit', () => {
  const r = run([HEADER, '<message><body>'], { max: 1000 });
  let i = 0;
  while (!r.error && i < 100) {
    r.parser.write('y'.repeat(100));
    i++;
  }
  assert.equal(r.error?.condition, 'policy-violation');
  assert.ok(i <= 11, `cut off after ${i * 100} bytes, not buffered unbounded`);
});

test('policy-violation counts bytes, not characters', () => {
  const euro = '\u20ac'.repeat(400); // 1200 bytes, 400 chars
  assert.equal(run([HEADER, `<message><body>${euro}</body></message>`], { max: 1000 }).error?.condition, 'policy-violation');
  const ok = run([HEADER, `<message><body>${'e'.repeat(400)}</body></message>`], { max: 1000 });
  assert.equal(ok.error, null);
  assert.equal(ok.elements.length, 1);
});

test('policy-violation: an unterminated start tag is bounded too', () => {
  const r = run([HEADER, `<message to='`, 'z'.repeat(5000)], { max: 1000 });
  assert.equal(r.error?.condition, 'policy-violation');
});

test('policy-violation: absurd nesting depth', () => {
  const r = run([HEADER, '<message>' + '<a>'.repeat(300)], { max: 100_000 });
  assert.equal(r.error?.condition, 'policy-violation');
  const ok = run([HEADER, '<message>' + '<a>'.repeat(100) + '</a>'.repeat(100) + '</message>'], { max: 100_000 });
  assert.equal(ok.error, null);
  assert.equal(ok.elements.length, 1);
});

test('elements under the limit spread over many chunks pass', () => {
  const stanza = `<message><body>${'k'.repeat(900)}</body></message>`;
  const r = run([HEADER, ...stanza.match(/.{1,7}/gs)!, stanza], { max: 1000 });
  assert.equal(r.error, null);
  assert.equal(r.elements.length, 2);
});

test('serializeTop drops or adds the stanza namespace, escapes, does not mutate', () => {
  const r = run([HEADER, `<message xmlns='jabber:client' to='a&amp;b'><body>1 &lt; 2 &amp; "x"</body></message>`]);
  const m = r.elements[0];
  assert.equal(serializeTop(m, ['jabber:client']), `<message to="a&amp;b"><body>1 &lt; 2 &amp; "x"</body></message>`);
  assert.equal(m.attrs.xmlns, 'jabber:client');
  const bare = run([HEADER, `<presence/>`]).elements[0];
  assert.equal(serializeTop(bare, [], 'jabber:client'), `<presence xmlns="jabber:client"/>`);
  assert.equal(serialize(bare), '<presence/>');
});
