// The queue editor's text (src/queue/render.ts): pages of a long list, a dead letter's reason
// beside its item, a string's value, a missing key; and the outbox templates pass the bridge's rule.

import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadLetter, parseItem } from '../../../sandbox/bridge/stanza';
import { deadLetterOf, outboxTemplates, renderQueue } from '../../../src/queue/render';

test('a short list: every item with its index, a multi-line item indented under it', () => {
  const text = renderQueue({ info: { key: 'jobs', type: 'list', length: 2 }, head: ['a', 'line 1\nline 2'], tail: [] });
  assert.equal(
    text,
    'jobs · list · 2 items\nindex 0 is the left end: LPUSH adds there; BRPOP and BLMOVE … RIGHT (the bridge) take from the other end.\n\n[0] a\n[1] line 1\n    line 2\n',
  );
});

test('a long list: the first and last page, and how many items are left out between', () => {
  const text = renderQueue({ info: { key: 'big', type: 'list', length: 10 }, head: ['h0', 'h1'], tail: ['t8', 't9'] });
  assert.match(text, /^\[1\] h1\n\n… 6 items not shown \(\[2\] to \[7\]\); Copy Items copies the whole list …\n\n\[8\] t8\n\[9\] t9\n$/m);
});

test('a dead letter shows its reason and time, its item under it; other JSON is shown as it is', () => {
  const dead = deadLetter('the stanza has no "to" address', '<message/>');
  assert.deepEqual(deadLetterOf(dead)?.reason, 'the stanza has no "to" address');
  const text = renderQueue({ info: { key: 'xmpp:outbox:dead', type: 'list', length: 2 }, head: [dead, '{"reason":1}'], tail: [] });
  assert.match(text, /^\[0\] reason: the stanza has no "to" address · at \d{4}-\d\d-\d\dT[\d:.]+Z\n {4}<message\/>$/m);
  assert.match(text, /^\[1\] \{"reason":1\}$/m);
});

test('a string shows its value; a missing key says so', () => {
  assert.equal(renderQueue({ info: { key: 'g', type: 'string', length: 2 }, head: ['hi'], tail: [] }), 'g · string · 2 bytes\n\nhi\n');
  assert.match(renderQueue({ info: { key: 'gone', type: 'none', length: 0 }, head: [], tail: [] }), /^gone does not exist/);
});

test("every xmpp:outbox template is an item the bridge sends (its own rule, not a copy of it)", () => {
  for (const t of outboxTemplates('example.test')) {
    const r = parseItem(t.xml, 'bridge.example.test');
    assert.ok(r.ok, `${t.label}: ${r.ok ? '' : r.reason}`);
  }
});
