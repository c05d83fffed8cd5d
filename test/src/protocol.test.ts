// The host's validator for webview messages (src/protocol.ts): everything the webview sends
// is untrusted; unknown types, missing or extra fields and oversize strings are refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIMITS, validateWebviewMessage } from '../../src/protocol';

test('accepts every well-formed message type', () => {
  for (const m of [
    { type: 'ready' },
    { type: 'clear' },
    { type: 'refreshSessions' },
    { type: 'startSandbox' },
    { type: 'send', requestId: 1, as: 'alice@localhost/laptop', xml: '<message/>' },
    { type: 'send', requestId: 2, as: 'alice@localhost/My Phone', xml: '<message/>' },
    { type: 'send', requestId: 3, as: 'component.localhost', xml: '<message/>' },
    { type: 'export', jsonl: '', count: 0 },
    { type: 'copy', text: '<iq/>' },
  ]) {
    const v = validateWebviewMessage(m);
    assert.ok(v.ok, JSON.stringify(m));
    assert.deepEqual(v.message, m);
  }
});

test('refuses what is not a known, complete, bounded message', () => {
  const bad: [unknown, RegExp][] = [
    [null, /not an object/],
    ['ready', /not an object/],
    [[{ type: 'ready' }], /not an object/],
    [{}, /unknown message type/],
    [{ type: 'eval', code: 'x' }, /unknown message type/],
    [{ type: 'ready', extra: 1 }, /unexpected field 'extra'/],
    [{ type: 'send', requestId: 1, as: 'a@b' }, /'xml' must be a string/],
    [{ type: 'send', requestId: -1, as: 'a@b', xml: '<message/>' }, /requestId/],
    [{ type: 'send', requestId: 1.5, as: 'a@b', xml: '<message/>' }, /requestId/],
    [{ type: 'send', requestId: 1, as: '', xml: '<message/>' }, /'as' must not be empty/],
    [{ type: 'send', requestId: 1, as: 'a@b"><x', xml: '<message/>' }, /not a JID/],
    [{ type: 'send', requestId: 1, as: 'a b@c', xml: '<message/>' }, /not a JID/],
    [{ type: 'send', requestId: 1, as: 'a@b/', xml: '<message/>' }, /not a JID/],
    [{ type: 'send', requestId: 1, as: 'a@b/x\u0000y', xml: '<message/>' }, /not a JID/],
    [{ type: 'send', requestId: 1, as: 'a@b', xml: 'x'.repeat(LIMITS.stanzaXmlBytes + 1) }, /longer than/],
    [{ type: 'copy', text: 42 }, /'text' must be a string/],
    [{ type: 'export', jsonl: '{}', count: 'all' }, /count/],
  ];
  for (const [m, why] of bad) {
    const v = validateWebviewMessage(m);
    assert.equal(v.ok, false, JSON.stringify(m)?.slice(0, 80));
    if (!v.ok) assert.match(v.error, why);
  }
});
