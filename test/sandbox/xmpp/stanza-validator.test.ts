// The one stanza validator (sandbox/xmpp/stanza-validator.ts): a table of texts it accepts and
// of texts it refuses, each with the condition and the message the callers show.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateStanza, type StanzaProblemCondition } from '../../../sandbox/xmpp/stanza-validator';
import { XmlStreamParser } from '../../../sandbox/xmpp/xml/parser';
import { utf8ByteLength } from '../../../sandbox/xmpp/xml/utf8';

test('valid stanzas pass and come back as their element', () => {
  const good: [string, string][] = [
    ['<message to="bob@localhost" type="chat"><body>hi &amp; bye</body></message>', 'message'],
    ['<message><body>&lt;img src=x onerror=alert(1)&gt; &#x263A; &#9786; &quot;&apos;</body></message>', 'message'],
    ['<presence><priority>5</priority></presence>', 'presence'],
    ['<presence type="unavailable" from="alice@localhost/a"/>', 'presence'],
    ['<iq type="get" to="localhost" id="p1"><ping xmlns="urn:xmpp:ping"/></iq>', 'iq'],
    ['<iq type="set" id="s1"><query xmlns="jabber:iq:roster"/></iq>', 'iq'],
    ['<iq type="result" id="r1"/>', 'iq'],
    ['<iq type="result" id="r2"><query xmlns="jabber:iq:version"/></iq>', 'iq'],
    ['<iq type="error" id="e1"><ping xmlns="urn:xmpp:ping"/><error type="cancel"/></iq>', 'iq'],
    ['  <message xmlns="jabber:client"/>\n', 'message'],
    ['<message xmlns="jabber:server"/>', 'message'],
    ['<message xmlns="jabber:component:accept" to="a@localhost" from="bridge.localhost"/>', 'message'],
    [`<?xml version='1.0'?><message to='a@localhost'/>`, 'message'],
    ['<message><x:y xmlns:x="urn:x"/><body><![CDATA[<not markup>]]></body></message>', 'message'],
    ['<message type="groupchat"/>', 'message'],
    ['<presence type="subscribe" to="bob@localhost"/>', 'presence'],
  ];
  for (const [text, name] of good) {
    const r = validateStanza(text);
    assert.ok(r.ok, `${text}: ${r.ok ? '' : r.message}`);
    assert.equal(r.element.name, name, text);
  }
  const r = validateStanza('<message><body>1 &lt; 2 &amp; &#x263A;</body></message>');
  assert.ok(r.ok);
  assert.equal(r.element.getChildText('body'), '1 < 2 & ☺');
});

test('everything else is refused with one condition and message', () => {
  const bad: [string, StanzaProblemCondition, RegExp][] = [
    // XML: RFC 6120 §11.1
    ['', 'xml-invalid', /^no root element: the text is empty$/],
    [' \n ', 'xml-invalid', /^no root element/],
    ['plain text', 'xml-invalid', /^not well-formed XML: text outside of any element/],
    ['hello <message/>', 'xml-invalid', /^not well-formed XML: text outside/],
    ['<message/> trailing', 'xml-invalid', /^not well-formed XML: text outside/],
    ['<message><body>hi</message>', 'xml-invalid', /^not well-formed XML: <body> closed by <\/message>/],
    ['<message to="a@localhost">', 'xml-invalid', /^not well-formed XML: the text ends before the element is closed/],
    ['<message to="a@localhost"', 'xml-invalid', /^not well-formed XML: the text ends before/],
    ['<message to="a@localhost"><!-- c --></message>', 'xml-invalid', /^restricted XML: comment \(RFC 6120 §11\.1/],
    ['<message to="a@localhost"><?pi x?></message>', 'xml-invalid', /^restricted XML: processing instruction \(/],
    ['<?xml-stylesheet href="x"?><message/>', 'xml-invalid', /^restricted XML: processing instruction \(/],
    [' <?xml version="1.0"?><message/>', 'xml-invalid', /^restricted XML: processing instruction/],
    ['<!DOCTYPE message [<!ENTITY x "y">]><message/>', 'xml-invalid', /^restricted XML: <!DOCTYPE> declaration/],
    ['<message><body>&xxe;</body></message>', 'xml-invalid', /^not well-formed XML: undeclared entity &xxe;/],
    ['<message><body>a & b</body></message>', 'xml-invalid', /^not well-formed XML: '&' not starting an entity/],
    ['<message><body>&#0;</body></message>', 'xml-invalid', /^not well-formed XML: character reference &#0; is not an XML character/],
    ['<message><x:y/></message>', 'xml-invalid', /^not well-formed XML: undeclared namespace prefix 'x'/],
    ['<message a="1" a="2"/>', 'xml-invalid', /^not well-formed XML: duplicate attribute 'a'/],
    // exactly one root
    ['<message/><message/>', 'xml-invalid', /^more than one root element: a stanza is exactly one element, this text has 2$/],
    ['<message to="a@localhost"/><presence/><iq/>', 'xml-invalid', /this text has 3/],
    // the stanza: RFC 6120 §8, RFC 6121
    ['<foo to="a@localhost"/>', 'bad-request', /^<foo\/> is not a stanza: the root element must be <message\/>, <presence\/> or <iq\/> \(RFC 6120 §8\)$/],
    ['<stream:features xmlns:stream="http://etherx.jabber.org/streams"/>', 'bad-request', /^<stream:features\/> is not a stanza/],
    ['<message xmlns="urn:example"/>', 'bad-request', /^the stanza's namespace must be jabber:client, jabber:server or jabber:component:accept, not urn:example/],
    ['<message xmlns=""/>', 'bad-request', /namespace must be .*, not empty/],
    ['<iq to="localhost" id="1"><ping xmlns="urn:xmpp:ping"/></iq>', 'bad-request', /^an iq needs type get, set, result or error, it has none \(RFC 6120 §8\.2\.3\)$/],
    ['<iq type="fetch" id="1"><ping xmlns="urn:xmpp:ping"/></iq>', 'bad-request', /^an iq needs type get, set, result or error, not "fetch"/],
    ['<iq type="get" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>', 'bad-request', /^an iq needs an id \(RFC 6120 §8\.1\.3\)$/],
    ['<iq type="get" id=""><ping xmlns="urn:xmpp:ping"/></iq>', 'bad-request', /^an iq needs an id/],
    ['<iq type="get" id="1"/>', 'bad-request', /^an iq of type get needs exactly one payload element, it has 0 \(RFC 6120 §8\.2\.3\)$/],
    ['<iq type="get" id="1"><ping xmlns="urn:xmpp:ping"/><query xmlns="jabber:iq:version"/></iq>', 'bad-request', /^an iq of type get needs exactly one payload element, it has 2/],
    ['<iq type="set" id="1">text only</iq>', 'bad-request', /^an iq of type set needs exactly one payload element, it has 0/],
    ['<iq type="result" id="1"><a xmlns="urn:a"/><b xmlns="urn:b"/></iq>', 'bad-request', /^an iq of type result has at most one payload element, it has 2/],
    ['<message type="shout"/>', 'bad-request', /^a message's type must be chat, error, groupchat, headline or normal, not "shout" \(RFC 6121 §5\.2\.2\)$/],
    ['<message type=""/>', 'bad-request', /^a message's type must be .*, not ""/],
    ['<presence type="available"/>', 'bad-request', /^a presence's type must be error, probe, subscribe, subscribed, unavailable, unsubscribe or unsubscribed, not "available" \(RFC 6121 §4\.7\.1\)$/],
    // addresses: RFC 7622
    [`<message to='x@@y'/>`, 'jid-malformed', /^'to' is not a valid JID: invalid domainpart/],
    ['<message to=""/>', 'jid-malformed', /^'to' is not a valid JID: empty JID/],
    ['<presence from="alice@localhost/"/>', 'jid-malformed', /^'from' is not a valid JID: empty resourcepart/],
    ['<iq type="get" id="1" to="a b@localhost"><ping xmlns="urn:xmpp:ping"/></iq>', 'jid-malformed', /^'to' is not a valid JID/],
  ];
  for (const [text, condition, message] of bad) {
    const r = validateStanza(text);
    assert.equal(r.ok, false, text);
    if (r.ok) continue;
    assert.equal(r.condition, condition, `${text}: ${r.message}`);
    assert.match(r.message, message, text);
  }
});

test('the first problem wins: XML before the root, the root before the type, the type before the addresses', () => {
  const first = (text: string) => {
    const r = validateStanza(text);
    return r.ok ? 'ok' : r.condition;
  };
  assert.equal(first('<foo/><!-- c -->'), 'xml-invalid');
  assert.equal(first('<foo to="x@@y"/>'), 'bad-request');
  assert.equal(first('<iq to="x@@y"/>'), 'bad-request');
  assert.equal(first('<message to="x@@y" type="chat"/>'), 'jid-malformed');
});

test('XML errors carry the line and column where the offending markup begins, also after an XML declaration', () => {
  const at = (text: string) => {
    const r = validateStanza(text);
    assert.ok(!r.ok, text);
    return [r.line, r.column, r.message];
  };
  const [line, column, message] = at('<message>\n  <body>oops</message>');
  assert.deepEqual([line, column], [2, 13]);
  assert.match(message as string, /\(line 2, column 13\)$/);
  assert.deepEqual(at('<message>\n<!-- c -->\n</message>').slice(0, 2), [2, 1]);
  assert.deepEqual(at(`<?xml version='1.0'?><message><!-- c --></message>`).slice(0, 2), [1, 31]);
  assert.deepEqual(at('<message>\n\n  <body>'), [3, 9, 'not well-formed XML: the text ends before the element is closed (line 3, column 9)']);
  // Stanza-level problems have no position.
  const r = validateStanza('<foo/>');
  assert.ok(!r.ok && r.line === undefined && r.column === undefined);
});

test('maxBytes counts UTF-8 bytes (policy-violation), not characters', () => {
  const smiles = `<message><body>${'☺'.repeat(30)}</body></message>`; // 30 characters, 90 bytes of body
  assert.equal(utf8ByteLength(smiles), Buffer.byteLength(smiles));
  const limit = smiles.length + 10;
  const r = validateStanza(smiles, { maxBytes: limit });
  assert.ok(!r.ok && r.condition === 'policy-violation' && r.message === `the stanza is larger than ${limit} bytes`, r.ok ? r.element.toString() : r.message);
  assert.ok(validateStanza(smiles, { maxBytes: utf8ByteLength(smiles) }).ok);
  const deep = `<message>${'<a>'.repeat(300)}${'</a>'.repeat(300)}</message>`;
  const d = validateStanza(deep);
  assert.ok(!d.ok && d.condition === 'policy-violation' && /^limit exceeded: elements nested deeper than 256/.test(d.message), d.ok ? 'accepted' : d.message);
});

test('utf8ByteLength agrees with Buffer.byteLength', () => {
  for (const s of ['', 'abc', 'é', '☺', '😀', 'a😀é☺x', 'x'.repeat(1000)]) assert.equal(utf8ByteLength(s), Buffer.byteLength(s), s);
});

test('the parser reports error offsets across chunks, and whether input is left open', () => {
  const errors: number[] = [];
  const p = new XmlStreamParser({ streamStart() {}, element() {}, streamEnd() {}, error: (_c, _r, offset) => errors.push(offset) }, { framed: true, maxElementBytes: 1 << 20 });
  p.write('<message/>');
  assert.equal(p.idle, true);
  p.write('<message><bo');
  assert.equal(p.idle, false, 'a start tag cut in half');
  p.write('dy>x</body>');
  assert.equal(p.idle, false, 'the message is still open');
  p.write('<!-- c -->');
  assert.deepEqual(errors, ['<message/><message><body>x</body>'.length]);
});
