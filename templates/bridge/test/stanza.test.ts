import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forcedFrom, parseItem } from '../src/stanza.js';

const D = 'bridge.example';

test('one stanza with a to is accepted; its from is forced into the component domain', () => {
  const ok = parseItem("<message to='a@example'><body>hi</body></message>", D);
  assert.ok(ok.ok);
  assert.equal(ok.stanza.attrs.from, D);
  assert.equal(ok.stanza.getChildText('body'), 'hi');
  assert.equal(forcedFrom('orders@bridge.example/r1', D), 'orders@bridge.example/r1', 'a JID of the domain is kept');
  assert.equal(forcedFrom('mallory@elsewhere', D), D, 'another domain is replaced');
  assert.equal(forcedFrom('bridge.example.evil', D), D, 'a longer domain is another domain');
});

test('anything else is refused with a reason', () => {
  const reasons = {
    '<message to="a@example"><body>x</body>': /closed/,
    '<message><body>x</body></message>': /no 'to'/,
    '<foo to="a@example"/>': /not a stanza/,
    '<message to="a@x"/><message to="b@x"/>': /2 elements/,
    'plain text': /no element/,
    '<iq to="a@x" type="get"/>': /needs an id/,
    '<message to="a@x"></item><message to="b@x"/><item>': /closed|after the end/, // an attempt to escape the wrapper
  };
  for (const [item, reason] of Object.entries(reasons)) {
    const r = parseItem(item, D);
    assert.equal(r.ok, false, item);
    if (!r.ok) assert.match(r.reason, reason, item);
  }
});
