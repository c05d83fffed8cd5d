// The host's own check of composer XML before stanza.inject (src/inspector/stanzaXml.ts).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkStanzaXml } from '../../../src/inspector/stanzaXml';

test('stanzas pass', () => {
  for (const xml of [
    '<message to="bob@localhost" type="chat"><body>hi &amp; bye</body></message>',
    '<presence><priority>5</priority></presence>',
    '<iq type="get" to="localhost" id="p1"><ping xmlns="urn:xmpp:ping"/></iq>',
    '  <message xmlns="jabber:client"/>\n',
    '<message><body>&lt;img src=x onerror=alert(1)&gt;</body></message>',
  ]) assert.equal(checkStanzaXml(xml), null, xml);
});

test('everything else is refused with the reason', () => {
  const cases: [string, RegExp][] = [
    ['', /root element|no element/],
    ['<message><body>hi</message>', /not well-formed/],
    ['<message/><message/>', /more than one root|only one root/],
    ['<stream:features xmlns:stream="http://etherx.jabber.org/streams"/>', /must be message, presence or iq/],
    ['<!DOCTYPE message [<!ENTITY x "y">]><message/>', /DTD|not well-formed/],
    ['<?xml-stylesheet href="x"?><message/>', /processing instructions/],
    ['hello <message/>', /text outside|not well-formed/],
    ['<iq to="localhost" id="1"/>', /type get, set, result or error/],
    ['<iq type="get" to="localhost"/>', /needs an id/],
    ['<message><x:y/></message>', /not well-formed/],
    [`<message><body>${'x'.repeat(70_000)}</body></message>`, /larger than/],
  ];
  for (const [xml, why] of cases) assert.match(checkStanzaXml(xml) ?? 'accepted', why, xml.slice(0, 60));
});
