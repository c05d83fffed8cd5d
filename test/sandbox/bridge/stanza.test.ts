// Queue item → stanza: what the stanza validator accepts (sandbox/xmpp/stanza-validator.ts),
// with a `to`, `from` forced into the bridge's domain (XEP-0114) and no client namespace copied
// over; refused items carry the validator's message as their reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bridgeFrom, deadLetter, parseItem } from '../../../sandbox/bridge/stanza';

const D = 'bridge.localhost';

test('accepts one stanza and keeps its content', () => {
  const r = parseItem(`<?xml version='1.0'?><message xmlns='jabber:client' to='a@localhost' id='x' type='chat'><body>1 &lt; 2 &amp; &#x263A;</body><x xmlns='urn:e'/></message>`, D);
  assert.ok(r.ok);
  const s = r.stanza;
  assert.equal(s.name, 'message');
  assert.equal(s.attrs.xmlns, undefined, 'the client namespace is left to the component stream');
  assert.equal(s.attrs.from, D);
  assert.equal(s.getChildText('body'), '1 < 2 & ☺');
  assert.ok(s.getChild('x', 'urn:e'));
  assert.ok(parseItem(`<presence to='a@localhost'/>`, D).ok);
  assert.ok(parseItem(`<iq type='result' id='r1' to='a@localhost'/>`, D).ok);
});

test('rejects what is not exactly one stanza, with a reason', () => {
  const cases: [string, RegExp][] = [
    ['', /^no root element: the text is empty$/],
    ['plain text', /^not well-formed XML: text outside of any element/],
    ['<message to="a@localhost">', /^not well-formed XML: the text ends before the element is closed/],
    ['<message to="a@localhost"/><message to="b@localhost"/>', /^more than one root element/],
    ['<foo to="a@localhost"/>', /^<foo\/> is not a stanza/],
    ['<message><body>x</body></message>', /no "to"/],
    ['<message to="a@localhost"><body>&xxe;</body></message>', /^not well-formed XML: undeclared entity &xxe;/],
    ['<!DOCTYPE m [<!ENTITY e "x">]><message to="a@localhost"/>', /^restricted XML: <!DOCTYPE> declaration/],
    ['<message to="a@localhost"><!-- c --></message>', /^restricted XML: comment /],
    ['<message to="a@localhost"><?pi x?></message>', /^restricted XML: processing instruction /],
    // Rules the bridge did not check before it shared the validator with stanza.inject:
    ['<iq type="get" to="a@localhost"><ping xmlns="urn:xmpp:ping"/></iq>', /^an iq needs an id/],
    ['<iq to="a@localhost" id="1"/>', /^an iq needs type get, set, result or error/],
    ['<message to="a@localhost" type="shout"/>', /^a message's type must be/],
    ['<message to="a@@localhost"/>', /^'to' is not a valid JID/],
    ['<message to="a@localhost" from="bad@@jid"/>', /^'from' is not a valid JID/],
  ];
  for (const [item, reason] of cases) {
    const r = parseItem(item, D);
    assert.equal(r.ok, false, item);
    if (!r.ok) assert.match(r.reason, reason, item);
  }
});

test('forces from into the bridge domain, keeping a localpart of that domain', () => {
  assert.equal(bridgeFrom(undefined, D), D);
  assert.equal(bridgeFrom('orders@bridge.localhost', D), 'orders@bridge.localhost');
  assert.equal(bridgeFrom('orders@bridge.localhost/r1', D), 'orders@bridge.localhost/r1');
  assert.equal(bridgeFrom('bridge.localhost', D), D);
  assert.equal(bridgeFrom('alice@localhost', D), D);
  assert.equal(bridgeFrom('evil@bridge.localhost.evil.com', D), D);
  assert.equal(bridgeFrom('localhost', D), D);
});

test('dead letters are JSON {reason, item, at}', () => {
  const d = JSON.parse(deadLetter('why', '<x/>')) as { reason: string; item: string; at: string };
  assert.equal(d.reason, 'why');
  assert.equal(d.item, '<x/>');
  assert.ok(!Number.isNaN(Date.parse(d.at)));
});
