// Scansion's matching rules (sandbox/scenario/matcher.ts, docs/scenarios.md "Matching rules"):
// non-strict by default, scansion:strict inherited until 'false', {scansion:any}, stream
// namespaces, and the readable diff of a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import { lineDiff, matchStanza, matchText, prettyXml } from '../../../sandbox/scenario/matcher';
import { parseXmlBlock } from '../../../sandbox/scenario/parser';

function x(text: string): Element {
  const r = parseXmlBlock(text);
  if (!r.ok) throw new Error(`${r.message} in ${text}`);
  return r.element;
}

function matches(expected: string, received: string): boolean {
  return matchStanza(x(expected), x(received)).ok;
}

test('non-strict: extra attributes and children are ignored, child order too, text is trimmed', () => {
  assert.ok(matches(`<message type='chat'><body>Hello</body></message>`, `<message type='chat' id='1' to='a@b/c'><x xmlns='urn:x'/><body>\n  Hello \n</body></message>`));
  assert.ok(matches(`<iq><a/><b/></iq>`, `<iq><b/><c/><a/></iq>`));
  // An expected element with no text matches any text (Prosody's version.scs relies on it).
  assert.ok(matches(`<version/>`, `<version>0.12.3</version>`));
});

test('non-strict still needs every expected attribute, value, child and text', () => {
  assert.ok(!matches(`<message type='chat'/>`, `<message/>`), 'missing attribute');
  assert.ok(!matches(`<message type='chat'/>`, `<message type='normal'/>`), 'other value');
  assert.ok(!matches(`<message><body>Hi</body></message>`, `<message/>`), 'missing child');
  assert.ok(!matches(`<message><body>Hi</body></message>`, `<message><body>Hello</body></message>`), 'other text');
  assert.ok(!matches(`<message/>`, `<presence/>`), 'another element');
  // Two expected children need two distinct received ones.
  assert.ok(!matches(`<r><a/><a/></r>`, `<r><a/></r>`));
  // A loose expected child must not take the partner an exact one needs (a matching, not greedy).
  assert.ok(matches(`<r><a/><a x='1'/></r>`, `<r><a x='1'/><a/></r>`));
});

test('{scansion:any}: the attribute must be there with any value; as text, any text', () => {
  const delay = `<delay xmlns='urn:xmpp:delay' from='localhost' stamp='{scansion:any}'/>`;
  assert.ok(matches(delay, `<delay xmlns='urn:xmpp:delay' from='localhost' stamp='2024-01-01T00:00:00Z'>Offline Storage</delay>`));
  assert.ok(!matches(delay, `<delay xmlns='urn:xmpp:delay' from='localhost'/>`));
  assert.ok(matches(`<body>{scansion:any}</body>`, `<body>whatever</body>`));
});

test("scansion:strict='true': no extra attributes or children, same order, same text; inherited until 'false'", () => {
  const strict = `<query xmlns='jabber:iq:version' scansion:strict='true'><name>Prosody</name><version scansion:strict='false'/></query>`;
  assert.ok(matches(strict, `<query xmlns='jabber:iq:version'><name>Prosody</name><version>0.12.3</version></query>`), "'false' on <version/> lets any text through");
  assert.ok(!matches(strict, `<query xmlns='jabber:iq:version'><name>Prosody</name><version>0.12</version><os>Linux</os></query>`), 'extra child');
  assert.ok(!matches(strict, `<query xmlns='jabber:iq:version'><version/><name>Prosody</name></query>`), 'other order');
  assert.ok(!matches(strict, `<query xmlns='jabber:iq:version' extra='1'><name>Prosody</name><version/></query>`), 'extra attribute');
  assert.ok(!matches(`<x xmlns='urn:x' scansion:strict='true'><y/></x>`, `<x xmlns='urn:x'><y a='1'/></x>`), 'inherited by the children');
  assert.ok(!matches(`<x xmlns='urn:x' scansion:strict='true'><y/></x>`, `<x xmlns='urn:x'><y>text</y></x>`), 'strict empty text means no text');
  assert.ok(matches(`<x xmlns='urn:x' scansion:strict='true' a='{scansion:any}'/>`, `<x xmlns='urn:x' a='7'/>`), 'namespace declarations and {scansion:any} still fine');
});

test('namespaces: the stream namespaces are the default one; a child is compared by its namespace', () => {
  assert.ok(matches(`<message><body>hi</body></message>`, `<message xmlns='jabber:client'><body>hi</body></message>`));
  assert.ok(matches(`<message xmlns='jabber:client'/>`, `<message xmlns='jabber:component:accept'/>`));
  assert.ok(matches(`<iq><ping xmlns='urn:xmpp:ping'/></iq>`, `<iq><p:ping xmlns:p='urn:xmpp:ping'/></iq>`), 'prefixes resolve');
  assert.ok(!matches(`<iq><ping xmlns='urn:xmpp:ping'/></iq>`, `<iq><ping xmlns='urn:other'/></iq>`));
  assert.ok(!matches(`<message><body>hi</body></message>`, `<message><body xmlns='urn:x'>hi</body></message>`));
});

test('a failure says why, with paths, and diffs expected against received as the rules see it', () => {
  const r = matchStanza(
    x(`<message from='romeo@localhost/a' type='chat'><body>Parting is such sweet sorrow</body><delay xmlns='urn:xmpp:delay' stamp='{scansion:any}'/></message>`),
    x(`<message to='juliet@localhost/b' from='romeo@localhost/a' type='chat' id='9'><body>Good night</body><delay xmlns='urn:xmpp:delay' stamp='2024'/><extra/></message>`),
  );
  assert.equal(r.ok, false);
  assert.deepEqual(r.problems, ['/message/body: text "Good night", expected "Parting is such sweet sorrow"']);
  assert.equal(
    r.diff,
    [
      '  <message from="romeo@localhost/a" type="chat">',
      '-   <body>Parting is such sweet sorrow</body>',
      '+   <body>Good night</body>',
      '    <delay xmlns="urn:xmpp:delay" stamp="{scansion:any}"/>',
      '  </message>',
    ].join('\n'),
    'ignored attributes (to, id) and children (<extra/>) are left out; a matched {scansion:any} shows as such',
  );
  const missing = matchStanza(x(`<iq type='error'><error type='cancel'/></iq>`), x(`<iq type='result'/>`));
  assert.deepEqual(missing.problems, ['/iq: type="result", expected type="error"', '/iq: no child <error/>']);
  assert.ok(missing.diff.includes('-   <error type="cancel"/>'));
});

test('text items, pretty printing and the line diff', () => {
  assert.ok(matchText(' job 1\n', 'job 1').ok);
  assert.ok(matchText('{scansion:any}', 'anything').ok);
  const t = matchText('job 1', 'job 2');
  assert.ok(!t.ok);
  assert.equal(t.diff, '- job 1\n+ job 2');
  assert.equal(prettyXml(x(`<a x='1'><b>t</b><c/></a>`)), '<a x="1">\n  <b>t</b>\n  <c/>\n</a>');
  assert.equal(lineDiff(['a', 'b', 'c'], ['a', 'c', 'd']), '  a\n- b\n  c\n+ d');
});
